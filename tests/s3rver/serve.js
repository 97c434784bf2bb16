// serve.js - an S3 server for t_remote.sh on 127.0.0.1:PORT, data in DIR,
// with one bucket: @20minutes/s3rver, which checks every request's AWS
// Signature V4 (key S3RVER, secret S3RVER) and refuses a wrong one (403).
// Usage: node serve.js DIR PORT BUCKET; prints "ready" once it listens.
'use strict';
const S3rver = require('@20minutes/s3rver');
const [dir, port, bucket] = process.argv.slice(2);
new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
}).run().then(() => console.log('ready'), (e) => { console.error(e.message); process.exit(1); });
