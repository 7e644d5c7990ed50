// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import pg from 'pg';
import { socketConnectionString, withDatabase } from './connection-string.js';

/** The connection parameters exactly as pg reads them from the string. */
function parse(connectionString: string): pg.Client {
  return new pg.Client(connectionString);
}

void test('a socket connection string round-trips through pg', () => {
  const url = socketConnectionString({
    socketDir: '/tmp/bulwark-pg-AbC123',
    user: 'bulwark',
    password: 'p@ss/w:rd?',
    database: 'bulwark',
  });
  const parsed = parse(url);
  assert.equal(parsed.host, '/tmp/bulwark-pg-AbC123');
  assert.equal(parsed.user, 'bulwark');
  assert.equal(parsed.password, 'p@ss/w:rd?');
  assert.equal(parsed.database, 'bulwark');
});

void test('withDatabase swaps only the database', () => {
  const socket = socketConnectionString({
    socketDir: '/tmp/s',
    user: 'u',
    password: 'pw',
    database: 'bulwark',
  });
  const other = parse(withDatabase(socket, 'bulwark_template'));
  assert.deepEqual(
    [other.host, other.user, other.password, other.database],
    ['/tmp/s', 'u', 'pw', 'bulwark_template'],
  );
  assert.equal(
    withDatabase('postgres://u:pw@db.example:5433/prod?sslmode=require', 'x'),
    'postgres://u:pw@db.example:5433/x?sslmode=require',
  );
  assert.equal(withDatabase('postgresql://db.example', 'x'), 'postgresql://db.example/x');
  assert.throws(
    () => withDatabase('mysql://u:secret@h/db', 'x'),
    (err: Error) => {
      assert.ok(!err.message.includes('secret'), 'S1: the string is not echoed');
      return true;
    },
  );
});
