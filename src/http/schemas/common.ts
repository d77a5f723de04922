import { Type } from 'typebox';

// Shapes shared by several operations, with the constraints of the reference.
export const ProjectId = Type.String({ pattern: '^[0-9a-zA-Z]{1,64}$' });
export const InstanceId = Type.String({ pattern: '^[a-zA-Z0-9-]{36}$' });

export const ProjectParams = Type.Object({ project_id: ProjectId });
export const InstanceParams = Type.Object({ project_id: ProjectId, instance_id: InstanceId });

export const ResourceTag = Type.Object({
  key: Type.String({ pattern: '^[\\p{L}\\p{Z}\\p{N}_.:=+\\-@]{1,128}$' }),
  value: Type.Optional(Type.String({ pattern: '^[\\p{L}\\p{Z}\\p{N}_.:=+\\-@]{0,255}$' })),
});

export const SpecRequest = Type.Object({
  spec_code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z.]+$' }),
  stride_num: Type.Integer({ minimum: 0, maximum: 2147483647 }),
  product_id: Type.Optional(Type.String({ maxLength: 64 })),
});
