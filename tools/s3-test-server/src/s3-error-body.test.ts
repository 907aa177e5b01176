import { describe, expect, it } from 'vitest';
import { s3ErrorBody } from './s3-error-body.js';

describe('s3ErrorBody', () => {
  it("writes S3's error document with the default message for a known code", () => {
    expect(s3ErrorBody({ code: 'SlowDown', requestId: 'ABC' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>' +
        '<RequestId>ABC</RequestId></Error>',
    );
  });

  it('escapes XML in every field and makes up a request id when none is given', () => {
    const body = s3ErrorBody({ code: 'Weird<Code>', message: 'a & "b"' });
    expect(body).toContain('<Code>Weird&lt;Code&gt;</Code>');
    expect(body).toContain('<Message>a &amp; &quot;b&quot;</Message>');
    expect(body).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId>/);
  });
});
