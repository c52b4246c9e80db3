'use strict';
// express-session store: connect-dynamodb (AWS SDK v3, endpoint override through our own
// DynamoDBClient), with three changes for this benchmark:
//  - the table is created PAY_PER_REQUEST if missing, single-flight (concurrent requests after a
//    wipe must not race CreateTable), and again lazily when any call fails with
//    ResourceNotFoundException (others may wipe the emulator's tables at any time);
//  - the stored expiry is the idle timeout (the cookie itself is a browser-session cookie);
//  - touch() writes at most once per TOUCH_INTERVAL: express-session calls touch on every request
//    of an unmodified session, which would be a DynamoDB write per page view; gatehouse rewrites
//    its session's last_seen at most once a minute, so the peer does the same.
const session = require('express-session');
const { CreateTableCommand } = require('@aws-sdk/client-dynamodb');
const DynamoDBStore = require('connect-dynamodb')(session);

/** The item's stored expiry, carried on the loaded session to throttle touch(). */
const STORED_EXPIRES = '__storedExpires';

class BenchDynamoStore extends DynamoDBStore {
  constructor({ idleSecs, touchIntervalSecs, ...options }) {
    super(options);
    this.idleSecs = idleSecs;
    this.touchIntervalSecs = touchIntervalSecs;
    this._init = null;
  }

  initialize() {
    if (this.initialized) return Promise.resolve();
    if (!this._init) {
      this._init = super
        .initialize()
        .catch((err) => {
          // Someone else (another request, another process) created it meanwhile.
          if (err.name === 'ResourceInUseException') {
            this.initialized = true;
            return;
          }
          throw err;
        })
        .finally(() => {
          this._init = null;
        });
    }
    return this._init;
  }

  createSessionsTable() {
    return this.client.send(
      new CreateTableCommand({
        TableName: this.table,
        AttributeDefinitions: [{ AttributeName: this.hashKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: this.hashKey, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }

  getExpiresValue() {
    return Math.floor(Date.now() / 1000) + this.idleSecs;
  }

  getParsedSession(result) {
    const sess = super.getParsedSession(result);
    if (sess && result.Item.expires) sess[STORED_EXPIRES] = Number(result.Item.expires.N);
    return sess;
  }

  /** Runs one of the parent's callback-style operations; recreates the table once if it is gone. */
  _withTable(op, args, fn = () => {}) {
    const attempt = (retried) => {
      this.initialize().then(
        () =>
          op.call(this, ...args, (err, value) => {
            if (err && err.name === 'ResourceNotFoundException' && !retried) {
              this.initialized = false;
              return attempt(true);
            }
            fn(err, value);
          }),
        (err) => fn(err),
      );
    };
    attempt(false);
  }

  get(sid, fn) {
    this._withTable(super.get, [sid], fn);
  }

  set(sid, sess, fn) {
    delete sess[STORED_EXPIRES];
    this._withTable(super.set, [sid, sess], fn);
  }

  touch(sid, sess, fn = () => {}) {
    const stored = sess[STORED_EXPIRES];
    const now = Math.floor(Date.now() / 1000);
    // Written less than touchIntervalSecs ago: nothing to do.
    if (typeof stored === 'number' && stored - now > this.idleSecs - this.touchIntervalSecs) {
      return fn();
    }
    this._withTable(super.touch, [sid, sess], fn);
  }

  destroy(sid, fn) {
    this._withTable(super.destroy, [sid], fn);
  }
}

module.exports = { BenchDynamoStore, STORED_EXPIRES };
