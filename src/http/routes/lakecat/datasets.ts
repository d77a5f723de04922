import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { DATASET_FORMATS, STORAGE_TYPES } from '../../../services/lakecat/dataset-service.js';
import { type Operation, operation } from '../../operation.js';
import { ProjectId } from '../../schemas/common.js';
import {
  CatalogName,
  DatabasePath,
  DatabaseRef,
  InstanceRef,
  OwnerSource,
  OwnerType,
  PageInfo,
} from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/Dataset';
const DatasetName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_-]+$' });
const DatasetPath = Type.Object({
  project_id: ProjectId,
  instance_id: InstanceRef,
  catalog_name: CatalogName,
  database_name: DatabaseRef,
  dataset_name: DatasetName,
});
const StorageType = Type.Union(STORAGE_TYPES.map((v) => Type.Literal(v)));
const Format = Type.Union(DATASET_FORMATS.map((v) => Type.Literal(v)));
const DatasetFormat = Type.Object({
  format: Format,
  content_types: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 }),
});
const Properties = Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 409600 }), {
  maxProperties: 1000,
});
const Description = Type.String({ maxLength: 4000 });
const Location = Type.String({ maxLength: 4000 });
const Owner = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$' });

const AddDatasetInput = Type.Object({
  dataset_name: DatasetName,
  description: Type.Optional(Description),
  storage_type: StorageType,
  dataset_format: Type.Optional(DatasetFormat),
  owner: Type.Optional(Owner),
  owner_type: Type.Optional(OwnerType),
  owner_source: Type.Optional(OwnerSource),
  location: Type.Optional(Location),
  properties: Type.Optional(Properties),
});
// Only description, format and properties change; the rest may be sent back unchanged (as ShowDataset returned it).
const AlterDatasetInput = Type.Object({
  description: Type.Optional(Description),
  dataset_format: Type.Optional(DatasetFormat),
  properties: Type.Optional(Properties),
  dataset_name: Type.Optional(Type.String({ maxLength: 256 })),
  storage_type: Type.Optional(Type.String({ maxLength: 64 })),
  location: Type.Optional(Location),
  owner: Type.Optional(Type.String({ maxLength: 128 })),
  owner_type: Type.Optional(Type.String({ maxLength: 64 })),
  owner_source: Type.Optional(Type.String({ maxLength: 64 })),
  // What ShowDataset answers besides, so that the shown object can be sent back; never changed by an update.
  catalog_name: Type.Optional(Type.String({ maxLength: 256 })),
  database_name: Type.Optional(Type.String({ maxLength: 256 })),
  database_id: Type.Optional(Type.String({ maxLength: 64 })),
  dataset_id: Type.Optional(Type.String({ maxLength: 64 })),
  create_time: Type.Optional(Type.String({ maxLength: 64 })),
  update_time: Type.Optional(Type.String({ maxLength: 64 })),
});
const Dataset = Type.Object({
  catalog_name: Type.String(),
  database_name: Type.String(),
  database_id: Type.String(),
  dataset_name: Type.String(),
  dataset_id: Type.String(),
  description: Type.String(),
  storage_type: Type.String(),
  dataset_format: Type.Optional(Type.Object({ format: Type.String(), content_types: Type.Array(Type.String()) })),
  owner: Type.String(),
  owner_type: Type.String(),
  owner_source: Type.String(),
  location: Type.String(),
  properties: Type.Record(Type.String(), Type.String()),
  create_time: Type.String(),
  update_time: Type.String(),
});

export function datasetOperations(s: AppServices): Operation[] {
  const d = s.datasets;
  const base = '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases/{database_name}/datasets';
  return [
    operation({
      name: 'CreateDataset',
      action: 'dataset.create',
      group: GROUP,
      method: 'POST',
      path: base,
      status: 201,
      params: DatabasePath,
      body: AddDatasetInput,
      response: Dataset,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        d.create(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, body),
    }),
    operation({
      name: 'ListDatasets',
      action: 'dataset.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      query: Type.Object({
        limit: Type.Integer({ minimum: 0, maximum: 1000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
        // Spelled as the reference (and its SDKs) spell it.
        name_partern: Type.Optional(Type.String({ maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_|*.-]*$' })),
        format: Type.Optional(Format),
      }),
      response: Type.Object({ datasets: Type.Array(Dataset), page_info: PageInfo }),
      handler: ({ principal, params, query }) =>
        d.list(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, {
          pattern: query.name_partern || undefined,
          format: query.format,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ShowDataset',
      action: 'dataset.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/{dataset_name}`,
      status: 200,
      params: DatasetPath,
      response: Dataset,
      rateLimited: true,
      handler: ({ principal, params }) =>
        d.show(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.dataset_name,
        ),
    }),
    operation({
      name: 'UpdateDataset',
      action: 'dataset.alter',
      group: GROUP,
      method: 'PUT',
      path: `${base}/{dataset_name}`,
      status: 200,
      params: DatasetPath,
      body: AlterDatasetInput,
      response: Dataset,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        d.update(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.dataset_name,
          body,
        ),
    }),
    operation({
      name: 'DeleteDataset',
      action: 'dataset.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{dataset_name}`,
      status: 200,
      params: DatasetPath,
      rateLimited: true,
      query: Type.Object({ delete_data: Type.Boolean({ default: false }) }),
      handler: async ({ principal, params, query }) => {
        await d.delete(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.dataset_name,
          { deleteData: query.delete_data },
        );
      },
    }),
  ];
}
