// LakeCat datasets over HTTP on both metadata stores: fields, names, paging and filters,
// updates, data deletion, the database's rules (drop, rename), events and access.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`datasets (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const cat = () => `/v1/${project}/instances/${instance}/catalogs/dsc`;
    const sets = (db = 'media') => `${cat()}/databases/${db}/datasets`;
    const managed = (name: string, extra: Record<string, unknown> = {}): Record<string, any> => ({
      dataset_name: name,
      storage_type: 'MANAGED',
      ...extra,
    });
    const names = (r: { json: { datasets: { dataset_name: string }[] } }) => r.json.datasets.map((d) => d.dataset_name);

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '1000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'datasets_inst');
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
            token,
            body: { catalog_name: 'dsc', location: 'obs://lakeform/dsc' },
          })
        ).status,
        201,
      );
      for (const db of ['media', 'other'])
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: db } })).status,
          201,
        );
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'create round-trips every field; names are lower-cased; a ' + 'managed dataset lives under its database',
      async () => {
        const body = managed('Photos', {
          description: 'product photos',
          dataset_format: { format: 'IMAGE', content_types: ['JPG', 'PNG', 'JPG'] },
          owner: 'admin',
          owner_type: 'USER',
          owner_source: 'IAM',
          properties: { team: 'web', 'retention.days': '30' },
        });
        const r = await server.request('POST', sets(), { token, body });
        assert.equal(r.status, 201, r.text);
        const db = (await server.request('GET', `${cat()}/databases/media`, { token })).json;
        assert.equal(r.json.dataset_name, 'photos');
        assert.equal(r.json.database_name, 'media');
        assert.equal(r.json.catalog_name, 'dsc');
        assert.equal(r.json.storage_type, 'MANAGED');
        assert.equal(r.json.location, `${db.location}/photos.dataset`);
        assert.deepEqual(
          r.json.dataset_format,
          { format: 'IMAGE', content_types: ['JPG', 'PNG'] },
          'repeats are dropped',
        );
        assert.deepEqual(r.json.properties, body.properties);
        assert.equal(r.json.description, 'product photos');
        assert.equal(r.json.owner, 'admin');
        assert.match(r.json.dataset_id, /^[0-9a-f]{32}$/);
        assert.match(r.json.database_id, /^[0-9a-f]{32}$/);
        assert.ok(r.json.create_time && r.json.update_time);
        assert.deepEqual((await server.request('GET', `${sets()}/PHOTOS`, { token })).json, r.json);

        const ext = await server.request('POST', sets(), {
          token,
          body: {
            dataset_name: 'raw-logs',
            storage_type: 'EXTERNAL',
            location: 'obs://lakeform/landing/logs/',
            dataset_format: { format: 'TEXT', content_types: [] },
          },
        });
        assert.equal(ext.status, 201, ext.text);
        assert.equal(ext.json.location, 'obs://lakeform/landing/logs');
        assert.equal(
          (await server.request('POST', sets(), { token, body: managed('bare') })).json.dataset_format,
          undefined,
          'a format is optional',
        );
      },
    );

    test('bad input is a 400 naming what is wrong; a taken name is a 409; a missing database a 404', async () => {
      const refused = async (body: unknown, pattern: RegExp, status = 400) => {
        const r = await server.request('POST', sets(), { token, body });
        assert.equal(r.status, status, r.text);
        assert.ok(r.json.error_code, r.text);
        assert.match(r.json.error_msg, pattern);
      };
      await refused(managed('PHOTOS'), /photos already exists/, 409);
      await refused(managed('bad name'), /dataset_name/);
      await refused({ dataset_name: 'x' }, /storage_type is required/);
      await refused(managed('x', { storage_type: 'SHARED' }), /storage_type/);
      await refused({ dataset_name: 'x', storage_type: 'EXTERNAL' }, /EXTERNAL dataset needs a location/);
      await refused({ dataset_name: 'x', storage_type: 'EXTERNAL', location: 'ftp://host/x' }, /location/);
      await refused(managed('x', { location: 'obs://lakeform/elsewhere' }), /MANAGED dataset/);
      await refused(
        managed('x', { dataset_format: { format: 'ROW', content_types: ['CSV', 'JPG'] } }),
        /JPG is not a content type of ROW/,
      );
      await refused(managed('x', { dataset_format: { format: 'SPREADSHEET', content_types: [] } }), /format/);
      await refused(managed('x', { dataset_format: { format: 'ROW' } }), /content_types is required/);
      assert.equal((await server.request('GET', `${sets()}/x`, { token })).status, 404, 'nothing refused was created');
      const missing = await server.request('POST', sets('nodb'), { token, body: managed('x') });
      assert.equal(missing.status, 404, missing.text);
      assert.match(missing.json.error_msg, /database nodb does not exist/);
      assert.equal((await server.request('GET', `${sets()}/nope`, { token })).status, 404);
    });

    test('fifty parallel creates of one dataset: one 201, forty-nine 409', async () => {
      const all = await Promise.all(
        Array.from({ length: 50 }, () => server.request('POST', sets(), { token, body: managed('raced') })),
      );
      const codes = all.map((r) => r.status);
      assert.equal(codes.filter((c) => c === 201).length, 1, String(codes));
      assert.equal(codes.filter((c) => c === 409).length, 49, String(codes));
    });

    test('ListDatasets pages by marker forward and back, filters by name_partern and format', async () => {
      for (const n of ['clip_a', 'clip_b', 'clipxc', 'song']) {
        const format =
          n === 'song' ? { format: 'AUDIO', content_types: ['MP3'] } : { format: 'VIDEO', content_types: ['MP4'] };
        assert.equal(
          (await server.request('POST', sets(), { token, body: managed(n, { dataset_format: format }) })).status,
          201,
        );
      }
      const all = ['bare', 'clip_a', 'clip_b', 'clipxc', 'photos', 'raced', 'raw-logs', 'song'];
      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const page = await server.request('GET', sets(), { token, query: { limit: 3, marker } });
        assert.equal(page.status, 200, page.text);
        assert.equal(page.json.page_info.current_count, page.json.datasets.length);
        seen.push(...names(page));
        marker = page.json.page_info.next_marker;
      } while (marker);
      assert.deepEqual(seen, all);
      const first = await server.request('GET', sets(), { token, query: { limit: 3 } });
      assert.equal(first.json.page_info.previous_marker, undefined);
      const second = await server.request('GET', sets(), {
        token,
        query: { limit: 3, marker: first.json.page_info.next_marker },
      });
      assert.deepEqual(names(second), ['clipxc', 'photos', 'raced']);
      const back = await server.request('GET', sets(), {
        token,
        query: { limit: 3, marker: second.json.page_info.previous_marker, reverse_page: true },
      });
      assert.deepEqual(names(back), names(first));
      assert.equal(back.json.page_info.previous_marker, undefined, 'nothing before the first page');
      assert.equal(back.json.page_info.next_marker, first.json.page_info.next_marker);

      assert.deepEqual(names(await server.request('GET', sets(), { token, query: { name_partern: 'CLIP_*|song' } })), [
        'clip_a',
        'clip_b',
        'song',
      ]);
      assert.deepEqual(
        names(await server.request('GET', sets(), { token, query: { name_partern: 'clip_*' } })),
        ['clip_a', 'clip_b'],
        "'_' is literal",
      );
      assert.deepEqual(names(await server.request('GET', sets(), { token, query: { format: 'VIDEO' } })), [
        'clip_a',
        'clip_b',
        'clipxc',
      ]);
      assert.deepEqual(
        names(await server.request('GET', sets(), { token, query: { format: 'VIDEO', name_partern: '*c' } })),
        ['clipxc'],
      );
      const videoPage = await server.request('GET', sets(), { token, query: { format: 'VIDEO', limit: 2 } });
      assert.deepEqual(names(videoPage), ['clip_a', 'clip_b']);
      assert.deepEqual(
        names(
          await server.request('GET', sets(), {
            token,
            query: { format: 'VIDEO', limit: 2, marker: videoPage.json.page_info.next_marker },
          }),
        ),
        ['clipxc'],
      );
      assert.deepEqual(
        names(await server.request('GET', sets(), { token, query: { limit: 0 } })),
        all,
        'limit 0 is the default page',
      );
      assert.deepEqual(names(await server.request('GET', sets('other'), { token })), []);
      assert.equal((await server.request('GET', sets(), { token, query: { marker: 'not-a-marker' } })).status, 400);
      assert.equal((await server.request('GET', sets(), { token, query: { limit: 1001 } })).status, 400);
      assert.equal((await server.request('GET', sets(), { token, query: { format: 'PDF' } })).status, 400);
      assert.equal((await server.request('GET', sets(), { token, query: { name_partern: 'a%b' } })).status, 400);
    });

    test('UpdateDataset replaces description, format and properties; the rest is fixed', async () => {
      const before = (await server.request('GET', `${sets()}/photos`, { token })).json;
      const r = await server.request('PUT', `${sets()}/photos`, {
        token,
        body: { description: 'changed', properties: { team: 'shop' } },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.description, 'changed');
      assert.deepEqual(r.json.properties, { team: 'shop' });
      assert.deepEqual(r.json.dataset_format, before.dataset_format, 'fields not sent are kept');
      assert.notEqual(r.json.update_time, undefined);
      const f = await server.request('PUT', `${sets()}/photos`, {
        token,
        body: { ...before, dataset_format: { format: 'IMAGE', content_types: ['TIFF'] } },
      });
      assert.equal(f.status, 200, `the whole shown object may be sent back: ${f.text}`);
      assert.deepEqual(f.json.dataset_format, { format: 'IMAGE', content_types: ['TIFF'] });
      assert.equal(f.json.description, before.description);
      for (const [field, value] of [
        ['dataset_name', 'renamed'],
        ['storage_type', 'EXTERNAL'],
        ['location', 'obs://lakeform/x'],
        ['owner', 'someone'],
      ]) {
        const refused = await server.request('PUT', `${sets()}/photos`, { token, body: { [field as string]: value } });
        assert.equal(refused.status, 400, refused.text);
        assert.match(refused.json.error_msg, new RegExp(`cannot change ${field}`));
      }
      const bad = await server.request('PUT', `${sets()}/photos`, {
        token,
        body: { dataset_format: { format: 'AUDIO', content_types: ['PNG'] } },
      });
      assert.equal(bad.status, 400, bad.text);
      assert.deepEqual((await server.request('GET', `${sets()}/photos`, { token })).json.dataset_format, {
        format: 'IMAGE',
        content_types: ['TIFF'],
      });
      assert.equal((await server.request('PUT', `${sets()}/nope`, { token, body: { description: 'x' } })).status, 404);
    });

    test(
      "delete_data removes a managed dataset's files; without it they " +
        "stay; an external dataset's files are never the catalog's",
      async () => {
        const location = (await server.request('GET', `${sets()}/clip_a`, { token })).json.location as string;
        const dirOf = (loc: string) =>
          path.join(server.dataDir, 'warehouse', ...loc.replace(/^obs:\/\//, '').split('/'));
        for (const n of ['clip_a', 'clip_b']) {
          const loc = (await server.request('GET', `${sets()}/${n}`, { token })).json.location as string;
          fs.mkdirSync(path.join(dirOf(loc), 'sub'), { recursive: true });
          fs.writeFileSync(path.join(dirOf(loc), 'sub', 'v-0.mp4'), 'x');
        }
        const sibling = path.join(path.dirname(dirOf(location)), 'clip_a_table');
        fs.mkdirSync(sibling, { recursive: true });
        fs.writeFileSync(path.join(sibling, 'part-0'), 'x');
        assert.equal((await server.request('DELETE', `${sets()}/clip_b`, { token })).status, 200);
        assert.ok(
          fs.existsSync(path.join(dirOf(location.replace('clip_a', 'clip_b')), 'sub', 'v-0.mp4')),
          'without delete_data the files stay',
        );
        const r = await server.request('DELETE', `${sets()}/clip_a`, { token, query: { delete_data: true } });
        assert.equal(r.status, 200, r.text);
        assert.ok(!fs.existsSync(path.join(dirOf(location), 'sub', 'v-0.mp4')), 'the managed files are gone');
        assert.ok(fs.existsSync(path.join(sibling, 'part-0')), 'nothing beside the dataset is touched');
        assert.equal((await server.request('GET', `${sets()}/clip_a`, { token })).status, 404);
        const ext = await server.request('DELETE', `${sets()}/raw-logs`, { token, query: { delete_data: true } });
        assert.equal(ext.status, 400, ext.text);
        assert.match(ext.json.error_msg, /EXTERNAL/);
        assert.equal(
          (await server.request('GET', `${sets()}/raw-logs`, { token })).status,
          200,
          'a refused drop keeps the dataset',
        );
        assert.equal((await server.request('DELETE', `${sets()}/raw-logs`, { token })).status, 200);
        assert.equal((await server.request('DELETE', `${sets()}/raw-logs`, { token })).status, 404);
      },
    );

    test('every change is in the metadata event log with the dataset as ShowDataset returns it', async () => {
      const r = await server.request('GET', `/v1/${project}/instances/${instance}/metadata-event`, {
        token,
        query: { limit: 1000 },
      });
      assert.equal(r.status, 200, r.text);
      const ofPhotos = r.json.metadata_events.filter((e: { object_name?: string }) => e.object_name === 'photos');
      assert.deepEqual(
        ofPhotos.map((e: { metadata_action_type: string }) => e.metadata_action_type),
        ['CREATE_DATASET', 'ALTER_DATASET', 'ALTER_DATASET'],
      );
      assert.deepEqual(ofPhotos[2].metadata_object, (await server.request('GET', `${sets()}/photos`, { token })).json);
      const dropped = r.json.metadata_events
        .filter((e: { metadata_action_type: string }) => e.metadata_action_type === 'DROP_DATASET')
        .map((e: { object_name: string }) => e.object_name);
      assert.deepEqual(dropped, ['clip_b', 'clip_a', 'raw-logs']);
    });

    test(
      'a database holding datasets is dropped only with cascade; a ' + 'rename carries them; a catalog with one stays',
      async () => {
        assert.equal((await server.request('POST', sets('other'), { token, body: managed('kept') })).status, 201);
        const refused = await server.request('DELETE', `${cat()}/databases/other`, { token });
        assert.equal(refused.status, 409, refused.text);
        assert.match(refused.json.error_msg, /1 datasets/);
        const renamed = await server.request('PUT', `${cat()}/databases/other`, {
          token,
          body: { database_name: 'moved' },
        });
        assert.equal(renamed.status, 200, renamed.text);
        const shown = await server.request('GET', `${sets('moved')}/kept`, { token });
        assert.equal(shown.status, 200, shown.text);
        assert.equal(shown.json.database_name, 'moved');
        assert.equal((await server.request('GET', `${sets('other')}/kept`, { token })).status, 404);
        assert.equal(
          (await server.request('DELETE', `${cat()}/databases/moved`, { token, query: { cascade: true } })).status,
          200,
        );
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: 'moved' } })).status,
          201,
        );
        assert.deepEqual(
          names(await server.request('GET', sets('moved'), { token })),
          [],
          'the cascade took the datasets with the database',
        );

        const base = `/v1/${project}/instances/${instance}/catalogs`;
        assert.equal((await server.request('POST', base, { token, body: { catalog_name: 'lonely' } })).status, 201);
        assert.equal(
          (await server.request('POST', `${base}/lonely/databases/default/datasets`, { token, body: managed('only') }))
            .status,
          201,
        );
        const cat409 = await server.request('DELETE', `${base}/lonely`, { token });
        assert.equal(cat409.status, 409, cat409.text);
        assert.equal(
          (await server.request('DELETE', `${base}/lonely/databases/default/datasets/only`, { token })).status,
          200,
        );
        assert.equal((await server.request('DELETE', `${base}/lonely`, { token })).status, 200);
      },
    );

    test(
      'access: the database must be visible; creating takes ' +
        'CREATE_TABLE, changing ALTER, dropping DROP on it, or owning ' +
        'the dataset',
      async () => {
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'ds_user', password: 'Pass-word-123' } },
            })
          ).status,
          201,
        );
        const dev = (await server.login('ds_user', 'Pass-word-123')).token;
        const policy = (permissions: string[]) => ({
          effect: true,
          principal_list: [{ principal_name: 'ds_user', principal_source: 'IAM', principal_type: 'USER' }],
          resource: { type: 'DATABASE', catalogs: [{ name: 'dsc', databases: [{ name: 'media' }] }] },
          permissions,
        });
        const grant = async (verb: 'grant' | 'revoke', permissions: string[]) =>
          assert.equal(
            (
              await server.request('POST', `/v1/${project}/instances/${instance}/policies/${verb}`, {
                token,
                body: policy(permissions),
              })
            ).status,
            200,
          );
        for (const [method, p, body] of [
          ['GET', sets()],
          ['GET', `${sets()}/photos`],
          ['POST', sets(), managed('mine')],
          ['PUT', `${sets()}/photos`, { description: 'x' }],
          ['DELETE', `${sets()}/photos`],
        ] as const) {
          const r = await server.request(method, p, { token: dev, body });
          assert.equal(r.status, 404, `${method} ${p} before any grant: ${r.text}`);
        }
        await grant('grant', ['DESCRIBE']);
        assert.equal(
          (await server.request('GET', `${sets()}/photos`, { token: dev })).status,
          200,
          'whoever sees the database sees its datasets',
        );
        assert.ok(names(await server.request('GET', sets(), { token: dev })).includes('photos'));
        for (const [method, p, body, privilege] of [
          ['POST', sets(), managed('mine'), 'CREATE_TABLE'],
          ['PUT', `${sets()}/photos`, { description: 'x' }, 'ALTER'],
          ['DELETE', `${sets()}/photos`, undefined, 'DROP'],
        ] as const) {
          const r = await server.request(method, p, { token: dev, body });
          assert.equal(r.status, 403, `${method} ${p} with DESCRIBE only: ${r.text}`);
          assert.match(r.json.error_msg, new RegExp(privilege));
        }
        await grant('grant', ['CREATE_TABLE']);
        const mine = await server.request('POST', sets(), { token: dev, body: managed('mine') });
        assert.equal(mine.status, 201, mine.text);
        assert.equal(mine.json.owner, 'ds_user');
        assert.equal(
          (await server.request('POST', sets(), { token: dev, body: managed('theirs', { owner: 'admin' }) })).status,
          403,
          'only administrators create for others',
        );
        assert.equal(
          (await server.request('PUT', `${sets()}/mine`, { token: dev, body: { description: 'by its owner' } })).status,
          200,
        );
        await grant('grant', ['ALTER']);
        assert.equal(
          (await server.request('PUT', `${sets()}/photos`, { token: dev, body: { description: 'by a grantee' } }))
            .status,
          200,
        );
        assert.equal((await server.request('DELETE', `${sets()}/photos`, { token: dev })).status, 403);
        await grant('revoke', ['DESCRIBE', 'CREATE_TABLE', 'ALTER']);
        // Owning a dataset inside keeps the database (and so its datasets) visible, as for tables.
        assert.equal((await server.request('GET', `${sets()}/photos`, { token: dev })).status, 200);
        assert.equal(
          (await server.request('PUT', `${sets()}/photos`, { token: dev, body: { description: 'x' } })).status,
          403,
        );
        assert.equal(
          (await server.request('DELETE', `${sets()}/mine`, { token: dev })).status,
          200,
          'the owner drops what it owns',
        );
        assert.equal(
          (await server.request('GET', sets(), { token: dev })).status,
          404,
          'owning nothing there any more, the database is invisible again',
        );
      },
    );
  });
}
