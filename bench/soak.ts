export async function soak(_d: unknown): Promise<void> {}
