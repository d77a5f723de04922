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

/** An instance as the API returns it (LakeFormationInstanceDetail). */
export const InstanceDetail = Type.Object({
  instance_id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  charge_mode: Type.String(),
  shared: Type.Boolean(),
  enterprise_project_id: Type.String(),
  status: Type.String(),
  in_recycle_bin: Type.Boolean(),
  default_instance: Type.Boolean(),
  create_time: Type.String(),
  update_time: Type.String(),
  specs: Type.Array(
    Type.Object({ spec_code: Type.String(), stride_num: Type.Integer(), product_id: Type.Optional(Type.String()) }),
  ),
  tags: Type.Array(Type.Object({ key: Type.String(), value: Type.String() })),
  resource_progress: Type.Optional(Type.Integer()),
  scale_progress: Type.Optional(Type.Integer()),
});
