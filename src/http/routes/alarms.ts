import { Type } from 'typebox';
import type { AppServices } from '../../services/app-services.js';
import { type Operation, operation } from '../operation.js';
import {
  AcknowledgeBody,
  AlarmRecord,
  AlarmRule,
  CreateRuleBody,
  ListRecordsQuery,
  ListRulesQuery,
  RecordPath,
  RulePath,
  UpdateRuleBody,
} from '../schemas/alarms.js';
import { InstanceScope, PageInfo } from '../schemas/lakecat.js';

const GROUP = 'Alarm Management';

// Not rate limited: an operator must reach the alarms of an instance that is over its limit
// (as scale and delete), and watching a request-rate alarm must not feed it.
export function alarmOperations(s: AppServices): Operation[] {
  const base = '/v1/{project_id}/instances/{instance_id}/alarms';
  return [
    operation({
      name: 'CreateAlarmRule',
      action: 'alarm.create',
      group: GROUP,
      method: 'POST',
      path: `${base}/rules`,
      status: 201,
      params: InstanceScope,
      body: CreateRuleBody,
      response: AlarmRule,
      handler: ({ principal, params, body }) =>
        s.alarms.createRule(principal, params.project_id, params.instance_id, body),
    }),
    operation({
      name: 'ListAlarmRules',
      action: 'alarm.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/rules`,
      status: 200,
      params: InstanceScope,
      query: ListRulesQuery,
      response: Type.Object({ rules: Type.Array(AlarmRule), total: Type.Integer() }),
      handler: ({ principal, params, query }) =>
        s.alarms.listRules(principal, params.project_id, params.instance_id, query),
    }),
    operation({
      name: 'ShowAlarmRule',
      action: 'alarm.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/rules/{rule_id}`,
      status: 200,
      params: RulePath,
      response: AlarmRule,
      handler: ({ principal, params }) =>
        s.alarms.showRule(principal, params.project_id, params.instance_id, params.rule_id),
    }),
    operation({
      name: 'UpdateAlarmRule',
      action: 'alarm.alter',
      group: GROUP,
      method: 'PUT',
      path: `${base}/rules/{rule_id}`,
      status: 200,
      params: RulePath,
      body: UpdateRuleBody,
      response: AlarmRule,
      handler: ({ principal, params, body }) =>
        s.alarms.updateRule(principal, params.project_id, params.instance_id, params.rule_id, body),
    }),
    operation({
      name: 'DeleteAlarmRule',
      action: 'alarm.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/rules/{rule_id}`,
      status: 204,
      params: RulePath,
      handler: async ({ principal, params }) => {
        await s.alarms.deleteRule(principal, params.project_id, params.instance_id, params.rule_id);
      },
    }),
    operation({
      name: 'ListAlarmRecords',
      action: 'alarm.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/records`,
      status: 200,
      params: InstanceScope,
      query: ListRecordsQuery,
      response: Type.Object({ records: Type.Array(AlarmRecord), page_info: PageInfo }),
      handler: ({ principal, params, query }) =>
        s.alarms.listRecords(principal, params.project_id, params.instance_id, query),
    }),
    operation({
      name: 'ShowAlarmRecord',
      action: 'alarm.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/records/{record_id}`,
      status: 200,
      params: RecordPath,
      response: AlarmRecord,
      handler: ({ principal, params }) =>
        s.alarms.showRecord(principal, params.project_id, params.instance_id, params.record_id),
    }),
    operation({
      name: 'AcknowledgeAlarmRecord',
      action: 'alarm.acknowledge',
      group: GROUP,
      method: 'POST',
      path: `${base}/records/{record_id}/acknowledge`,
      status: 200,
      params: RecordPath,
      body: AcknowledgeBody,
      bodyRequired: false,
      response: AlarmRecord,
      handler: ({ principal, params, body }) =>
        s.alarms.acknowledge(principal, params.project_id, params.instance_id, params.record_id, body?.comment),
    }),
  ];
}
