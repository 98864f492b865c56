import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEtcdHistory, HistoryRecorder, runClients, withStaleRead } from './history.js';
import { startEtcd, type Cluster } from './servers.js';

test('the recorder writes events in the order they happen, as the etcd model reads them', () => {
  const r = new HistoryRecorder();
  const put = r.invoke(0, 'put', 'x', '1');
  const get = r.invoke(1, 'get', 'x');
  get.ok('1');
  put.ok();
  r.invoke(0, 'cas', 'x', { from: '1', to: '2' }).ok({ from: '1', to: '2', succeeded: true });
  r.invoke(1, 'delete', 'x').info();
  const lines = r.text().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((e) => [e.process, e.type, e.f, e.value]),
    [
      [0, 'invoke', 'put', '1'],
      [1, 'invoke', 'get', null],
      [1, 'ok', 'get', '1'],
      [0, 'ok', 'put', '1'],
      [0, 'invoke', 'cas', { from: '1', to: '2' }],
      [0, 'ok', 'cas', { from: '1', to: '2', succeeded: true }],
      [1, 'invoke', 'delete', null],
      [1, 'info', 'delete', null],
    ],
  );
  assert.equal(checkEtcdHistory(r.text()).verdict, 'linearizable');
});

test('a completion cannot be recorded twice', () => {
  const done = new HistoryRecorder().invoke(0, 'put', 'x', '1');
  done.ok();
  assert.throws(() => done.info(), /twice/);
});

test('a stale read added to a history makes it not linearizable', () => {
  const r = new HistoryRecorder();
  r.invoke(0, 'put', 'x', '1').ok();
  r.invoke(0, 'put', 'x', '2').ok();
  assert.equal(checkEtcdHistory(r.text()).verdict, 'linearizable');
  assert.equal(checkEtcdHistory(withStaleRead(r.text())).verdict, 'not linearizable');
});

let cluster: Cluster | undefined;
before(async () => {
  cluster = await startEtcd({ members: 1 });
});
after(async () => {
  await cluster?.stop();
});

test('clients of one etcd member record a linearizable history', async () => {
  const { history, recorder } = await runClients({ endpoints: cluster!.clientUrls, clients: 3, seconds: 1, keys: 2 });
  assert.ok(recorder.count('ok') > 10, history);
  assert.ok(recorder.count('ok', 'cas') > 0, 'no cas completed');
  assert.equal(checkEtcdHistory(history).verdict, 'linearizable');
  assert.equal(checkEtcdHistory(withStaleRead(history)).verdict, 'not linearizable');
});
