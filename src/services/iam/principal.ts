/** Who is calling: established by a token or a signed request, then carried to every service call. */
export interface Principal {
  userId: string;
  userName: string;
  domainId: string;
  domainName: string;
  /** The project the credential is scoped to; null for a domain-scoped token. */
  projectId: string | null;
  projectName: string | null;
  /** Member of the domain's `admin` group: may manage identities and every resource of the domain. */
  isAdmin: boolean;
  via: 'token' | 'access-key';
  methods: string[];
  /** Present when authenticated by a token. */
  token?: { hash: string; issuedAt: string; expiresAt: string; expiresAtMs: number };
  /**
   * Set for a vended storage credential: it may only list and read (or write) these prefixes, and call nothing else.
   */
  storageScope?: StorageScope;
}

/** What a vended storage credential reaches: key prefixes (each ending in '/') of one bucket. */
export interface StorageScope {
  bucket: string;
  prefixes: string[];
  access: 'READ' | 'READ_WRITE';
  instanceId: string;
}

export const ADMIN_GROUP = 'admin';
