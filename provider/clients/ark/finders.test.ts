import type { ProviderSettings } from '../../resources/controller';
import { ArkClient } from './client';
import { ArkProtocolError } from './errors';
import { findCustomModel, findEndpoint, findEndpointsUsingModel, readCustomModel, readEndpoint, salvage, unreadableWarning } from './finders';
import type { HttpRequest, HttpResponse } from './transport';
import { CustomModelReadSchema } from '../../api/ark';

const settings: ProviderSettings = {
  region: 'cn-beijing',
  accessKeyId: 'AKLTunit',
  secretAccessKey: 'c2VjcmV0',
  arkEndpoint: 'http://127.0.0.1:1',
  tosEndpoint: '127.0.0.1:1',
  tosSecure: false,
  chatBaseUrl: 'http://127.0.0.1:1/api/v3',
};
const meta = { RequestId: '20240101000000ABCDEF0123456789AB', Action: 'X', Version: '2024-01-01', Service: 'ark', Region: 'cn-beijing' };
const ok = (result: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify({ ResponseMetadata: meta, Result: result }) });
const notFound: HttpResponse = {
  status: 404,
  headers: {},
  body: JSON.stringify({ ResponseMetadata: { ...meta, Error: { Code: 'NotFound.CustomModel', Message: 'gone' } } }),
};

/** A client answering from a script, recording each action and body it was asked. */
function scripted(script: HttpResponse[]) {
  const calls: { action: string; body: unknown }[] = [];
  const transport = async (request: HttpRequest) => {
    calls.push({ action: request.url.searchParams.get('Action')!, body: JSON.parse(request.body) });
    const next = script.shift();
    if (!next) throw new Error('script exhausted');
    return next;
  };
  return { client: new ArkClient({ settings, transport, retry: { maxAttempts: 1, maxThrottleAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }), calls };
}

/** GetCustomModel as the 2026 Node SDK shapes it: no Status (F7). */
const got = { Id: 'cm-1', Name: 'm', ProjectName: 'research', CreateTime: 't', UpdateTime: 't' };
const page = (...items: unknown[]) => ({ TotalCount: items.length, PageNumber: 1, PageSize: 100, Items: items });

describe('readCustomModel', () => {
  it('takes Status from Get when Get carries it, and asks nothing more', async () => {
    const { client, calls } = scripted([ok({ ...got, Status: 'Ready' })]);
    expect(await findCustomModel(client, 'cm-1')).toMatchObject({ Status: 'Ready' });
    expect(calls.map((c) => c.action)).toEqual(['GetCustomModel']);
  });

  it('reads Status (and StatusReason) from ListCustomModels Filter.Ids when Get leaves it out, in the model\'s project', async () => {
    const { client, calls } = scripted([ok(got), ok(page({ ...got, Status: 'Failed', StatusReason: 'bad files' }))]);
    expect(await findCustomModel(client, 'cm-1')).toEqual({ ...got, Status: 'Failed', StatusReason: 'bad files' });
    expect(calls[1]).toEqual({ action: 'ListCustomModels', body: { ProjectName: 'research', Filter: { Ids: ['cm-1'] }, PageNumber: 1, PageSize: 100 } });
  });

  it('leaves Status absent when the List does not show the model either', async () => {
    const { client } = scripted([ok(got), ok(page())]);
    expect(await readCustomModel(client, 'cm-1')).toEqual({ value: got, unreadable: [] });
  });

  it('is undefined when the model does not exist', async () => {
    const { client } = scripted([notFound]);
    expect(await readCustomModel(client, 'cm-1')).toBeUndefined();
  });

  it('goes on with what matches the reader when an answer does not; a strict find throws the Protocol error', async () => {
    const { Name: _name, ...nameless } = { ...got, Status: 'Ready', CreateTime: 7 };
    const answers = () => [ok(nameless)];
    const read = await readCustomModel(scripted(answers()).client, 'cm-1');
    expect(read?.value).toEqual({ Id: 'cm-1', ProjectName: 'research', Status: 'Ready', UpdateTime: 't' });
    expect(read?.unreadable.map((u) => [u.action, u.fields])).toEqual([['GetCustomModel', ['Name', 'CreateTime']]]);
    expect(read?.unreadable[0]!.error).toBeInstanceOf(ArkProtocolError);
    await expect(findCustomModel(scripted(answers()).client, 'cm-1')).rejects.toBeInstanceOf(ArkProtocolError);
  });

  it('takes Status from a List item it can read in part; only Get\'s fields and a List Status count as unread', async () => {
    const { CreateTime: _created, ...undated } = got;
    const both = await readCustomModel(scripted([ok(undated), ok(page({ ...undated, Status: 'Ready' }))]).client, 'cm-1');
    expect(both?.value.Status).toBe('Ready');
    expect(both?.unreadable.map((u) => [u.action, u.fields])).toEqual([['GetCustomModel', ['CreateTime']]]);
    // A complete Get and a List item that lacks only what Get gave: a strict find has all it needs.
    expect(await findCustomModel(scripted([ok(got), ok(page({ ...undated, Status: 'Ready' }))]).client, 'cm-1')).toMatchObject({ Status: 'Ready' });

    const { client } = scripted([ok(undated), ok(page({ ...undated, Status: 7 }))]);
    const neither = await readCustomModel(client, 'cm-1');
    expect(neither?.value.Status).toBeUndefined();
    expect(neither?.unreadable.map((u) => [u.action, u.fields])).toEqual([
      ['GetCustomModel', ['CreateTime']],
      ['ListCustomModels', ['Status']],
    ]);
    expect(unreadableWarning('custom model cm-1', neither!.unreadable, 'delete goes on')).toMatch(
      /^custom model cm-1: could not read CreateTime of Ark's GetCustomModel answer \(.*\); Status of Ark's ListCustomModels answer \(.*\); delete goes on with what it could read$/,
    );
  });

  it('rethrows a Protocol error without a Result to salvage', async () => {
    const { client } = scripted([{ status: 200, headers: {}, body: 'not json' }]);
    await expect(readCustomModel(client, 'cm-1')).rejects.toMatchObject({ kind: 'Protocol', code: 'InvalidResponse' });
  });
});

describe('readEndpoint and findEndpointsUsingModel', () => {
  const endpoint = { Id: 'ep-1', Name: 'e', ModelReference: { CustomModelId: 'cm-1' }, Status: 'Running', CreateTime: 't', UpdateTime: 't' };

  it('reads an endpoint whose Status has another type, keeping the rest', async () => {
    const { client } = scripted([ok({ ...endpoint, Status: 3 })]);
    const read = await readEndpoint(client, 'ep-1');
    expect(read?.value).toMatchObject({ Id: 'ep-1', Name: 'e' });
    expect(read?.value.Status).toBeUndefined();
    expect(read?.unreadable[0]!.fields).toEqual(['Status']);
    await expect(findEndpoint(scripted([ok({ ...endpoint, Status: 3 })]).client, 'ep-1')).rejects.toBeInstanceOf(ArkProtocolError);
  });

  it('lists the users of a model from items it reads in part; one without a readable reference is kept, another model\'s is not', async () => {
    const { ModelReference: _ref, ...unreferenced } = { ...endpoint, Id: 'ep-2' };
    const other = { ...endpoint, Id: 'ep-3', ModelReference: { CustomModelId: 'cm-9' } };
    const { client, calls } = scripted([ok(page({ ...endpoint, Status: null }, unreferenced, other))]);
    const listed = await findEndpointsUsingModel(client, 'cm-1');
    expect(listed.items.map((e) => [e.Id, e.Status])).toEqual([
      ['ep-1', undefined],
      ['ep-2', 'Running'],
    ]);
    expect(listed.unreadable.map((u) => [u.action, u.fields])).toEqual([['ListEndpoints', ['Status', 'ModelReference']]]);
    expect(calls[0]!.body).toMatchObject({ Filter: { CustomModelIds: ['cm-1'] } });
  });
});

describe('salvage', () => {
  it('keeps each field that matches, names each that does not, and refuses what is not an object', () => {
    expect(salvage(CustomModelReadSchema, { Id: 'cm-1', Name: 5, Extra: true })).toEqual({
      value: { Id: 'cm-1' },
      unreadable: ['Name', 'CreateTime', 'UpdateTime'],
    });
    expect(salvage(CustomModelReadSchema, [1])).toBeUndefined();
    expect(salvage(CustomModelReadSchema, null)).toBeUndefined();
  });
});
