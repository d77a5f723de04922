// Iceberg views: LakeCat VIRTUAL_VIEWs of format ICEBERG whose parameters point at their view metadata file.
import type { AppServices } from '../../../services/app-services.js';
import type { CreateViewRequest as ServiceCreateView } from '../../../services/iceberg/view-metadata.js';
import type { Operation } from '../../operation.js';
import {
  CommitViewRequest,
  CreateViewRequest,
  ListTablesResponse,
  LoadViewResult,
  NamespacePath,
  PageQuery,
  PrefixPath,
  RenameTableRequest,
  ViewPath,
} from '../../schemas/iceberg.js';
import { icebergOperation, idempotent, levelsOf, NAMESPACE, V1, warehouseOf } from './context.js';
import { commitIn, createIn, loadResultOut } from './engine-paths.js';

const VIEWS = `${NAMESPACE}/views`;
const VIEW = `${VIEWS}/{view}`;

export function viewOperations(s: AppServices): Operation[] {
  const loc = s.engineLocations;
  const out = async (body: unknown) => loadResultOut(loc, body);
  return [
    icebergOperation({
      name: 'IcebergListViews',
      action: 'table.list',
      method: 'GET',
      path: VIEWS,
      status: 200,
      params: NamespacePath,
      query: PageQuery,
      response: ListTablesResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return s.icebergViews.listViews(p, w, levelsOf(ctx), ctx.query);
      },
    }),
    icebergOperation({
      name: 'IcebergCreateView',
      action: 'table.create',
      method: 'POST',
      path: VIEWS,
      status: 200,
      params: NamespacePath,
      body: CreateViewRequest,
      response: LoadViewResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const body = createIn(loc, ctx.body as ServiceCreateView);
        return idempotent(
          s,
          ctx,
          p,
          200,
          (record) => s.icebergViews.createView(p, w, levelsOf(ctx), body, record),
          out,
        );
      },
    }),
    icebergOperation({
      name: 'IcebergLoadView',
      action: 'table.show',
      method: 'GET',
      path: VIEW,
      status: 200,
      params: ViewPath,
      response: LoadViewResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return loadResultOut(loc, await s.icebergViews.loadView(p, w, levelsOf(ctx), ctx.params.view));
      },
    }),
    icebergOperation({
      name: 'IcebergViewExists',
      action: 'table.show',
      method: 'HEAD',
      path: VIEW,
      status: 204,
      params: ViewPath,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        await s.icebergViews.view(p, w, levelsOf(ctx), ctx.params.view);
      },
    }),
    icebergOperation({
      name: 'IcebergReplaceView',
      action: 'table.alter',
      method: 'POST',
      path: VIEW,
      status: 200,
      params: ViewPath,
      body: CommitViewRequest,
      response: LoadViewResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const body = commitIn(loc, ctx.body);
        return idempotent(
          s,
          ctx,
          p,
          200,
          (record) => s.icebergViews.replaceView(p, w, levelsOf(ctx), ctx.params.view, body, record),
          out,
        );
      },
    }),
    icebergOperation({
      name: 'IcebergDropView',
      action: 'table.drop',
      method: 'DELETE',
      path: VIEW,
      status: 204,
      params: ViewPath,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return idempotent(s, ctx, p, 204, (record) =>
          s.icebergViews.dropView(p, w, levelsOf(ctx), ctx.params.view, record),
        );
      },
    }),
    icebergOperation({
      name: 'IcebergRenameView',
      action: 'table.alter',
      method: 'POST',
      path: `${V1}/{prefix}/views/rename`,
      status: 204,
      params: PrefixPath,
      body: RenameTableRequest,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return idempotent(s, ctx, p, 204, (record) => s.icebergViews.renameView(p, w, ctx.body, record));
      },
    }),
  ];
}
