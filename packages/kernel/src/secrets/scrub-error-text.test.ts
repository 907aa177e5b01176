import { afterEach, describe, expect, it } from 'vitest';
import { canaries } from '../testing/environment-canaries.js';
import { scrubErrorText } from './scrub-error-text.js';

// A key with the shape of a Google API key, built from pieces like the canaries.
const googleKey = `${'AIza'}SyCanary0Key1Aa2Bb3Cc4Dd5Ee6Ff7Gg8H`;
const noEnvironment = { environment: {} };

describe('scrubErrorText', () => {
  describe('URL query keys', () => {
    it('hides a key given by its shape and the name before it', () => {
      expect(
        scrubErrorText(
          `fetch failed: GET https://api.example.com/v1?key=${googleKey}&alt=json`,
          noEnvironment,
        ),
      ).toBe('fetch failed: GET https://api.example.com/v1?key=[redacted]&alt=json');
    });

    it('hides a value of no particular shape when its name marks it secret', () => {
      expect(
        scrubErrorText(
          'GET https://api.example.com/v1/models?api_key=hunter2&limit=10 returned 401',
          noEnvironment,
        ),
      ).toBe('GET https://api.example.com/v1/models?api_key=[redacted]&limit=10 returned 401');
      expect(
        scrubErrorText(
          'https://bucket.example.com/a.bin?X-Amz-Credential=AKIDEXAMPLE%2F20250810&X-Amz-Signature=0123abcd&X-Amz-Expires=300',
          noEnvironment,
        ),
      ).toBe(
        'https://bucket.example.com/a.bin?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Expires=300',
      );
    });

    it('hides command-line flags and env-style assignments', () => {
      expect(scrubErrorText('ran tool --api-key=plainvalue --verbose', noEnvironment)).toBe(
        'ran tool --api-key=[redacted] --verbose',
      );
      expect(scrubErrorText('DATABASE_PASSWORD=letmein exited 1', noEnvironment)).toBe(
        'DATABASE_PASSWORD=[redacted] exited 1',
      );
    });
  });

  describe('Authorization and Bearer', () => {
    it('keeps a known scheme and hides the credentials to the end of the line', () => {
      expect(
        scrubErrorText(
          'request headers: Authorization: Bearer abc123, then retried\nnext line',
          noEnvironment,
        ),
      ).toBe('request headers: Authorization: Bearer [redacted]\nnext line');
      expect(scrubErrorText('Authorization: Basic dXNlcjpwYXNz', noEnvironment)).toBe(
        'Authorization: Basic [redacted]',
      );
    });

    it('hides credentials sent without a scheme, or with one it does not know', () => {
      expect(scrubErrorText('authorization=plainvalue', noEnvironment)).toBe(
        'authorization=[redacted]',
      );
      expect(scrubErrorText('Authorization: Custom part1 part2', noEnvironment)).toBe(
        'Authorization: [redacted]',
      );
    });

    it('stops at the quote that closes a header value', () => {
      expect(
        scrubErrorText(
          `curl -H "Authorization: Bearer ${canaries.openAiKey}" https://api.example.com`,
          noEnvironment,
        ),
      ).toBe('curl -H "Authorization: Bearer [redacted]" https://api.example.com');
      expect(
        scrubErrorText("{'headers': {'Authorization': 'Bearer abc.def'}}", noEnvironment),
      ).toBe("{'headers': {'Authorization': 'Bearer [redacted]'}}");
    });

    it('hides a bearer token outside a header but not the word after bearer in prose', () => {
      expect(scrubErrorText('sent bearer AbC123-xyz to the proxy', noEnvironment)).toBe(
        'sent bearer [redacted] to the proxy',
      );
      expect(scrubErrorText('expected a Bearer token in the header', noEnvironment)).toBe(
        'expected a Bearer token in the header',
      );
    });
  });

  describe('JSON bodies and dictionaries', () => {
    it('hides the quoted values of secret keys and keeps the rest', () => {
      expect(
        scrubErrorText(
          '400 {"error":"bad request","api_key":"my-secret-value","max_tokens":4096,"model":"gpt-4o"}',
          noEnvironment,
        ),
      ).toBe(
        '400 {"error":"bad request","api_key":"[redacted]","max_tokens":4096,"model":"gpt-4o"}',
      );
      expect(scrubErrorText("{'X-Api-Key': 'abcdef', 'user': 'bob'}", noEnvironment)).toBe(
        "{'X-Api-Key': '[redacted]', 'user': 'bob'}",
      );
    });

    it('hides values inside a JSON body quoted within a JSON string', () => {
      expect(
        scrubErrorText('body: {\\"password\\":\\"p@ss\\",\\"user\\":\\"bob\\"}', noEnvironment),
      ).toBe('body: {\\"password\\":\\"[redacted]\\",\\"user\\":\\"bob\\"}');
    });

    it('finds a secret key inside the value of a harmless one', () => {
      expect(scrubErrorText('{"detail":"rejected token=abc123"}', noEnvironment)).toBe(
        '{"detail":"rejected token=[redacted]"}',
      );
    });

    it('leaves numbers, booleans and null alone whatever they are called', () => {
      const text = '{"private": true, "session": null, "auth_retries": 3, "key": ""}';
      expect(scrubErrorText(text, noEnvironment)).toBe(text);
    });
  });

  describe('values of secret environment variables', () => {
    const environment = {
      OPENAI_API_KEY: canaries.namedApiKey,
      SERVICE_PASSWORD: 'short12',
      PROXY_TOKEN: 'with space/and+plus',
      HOME: '/home/someone-with-a-long-name',
    };

    it('hides the value of a secret-named variable quoted anywhere', () => {
      expect(
        scrubErrorText(`the server rejected ${canaries.namedApiKey} (401)`, { environment }),
      ).toBe('the server rejected [redacted] (401)');
    });

    it('hides its URL-encoded form too', () => {
      expect(
        scrubErrorText(`GET /v1?t=${encodeURIComponent('with space/and+plus')} failed`, {
          environment,
        }),
      ).toBe('GET /v1?t=[redacted] failed');
    });

    it('leaves values shorter than 8 characters and values of harmless names', () => {
      const text = 'short12 failed in /home/someone-with-a-long-name';
      expect(scrubErrorText(text, { environment })).toBe(text);
    });

    describe('by default', () => {
      const name = 'CAIRN_SCRUB_TEST_SECRET';
      afterEach(() => {
        delete process.env[name];
      });

      it('reads process.env at each call', () => {
        const text = `quoted ${canaries.namedPassword} here`;
        expect(scrubErrorText(text)).toBe(text);
        process.env[name] = canaries.namedPassword;
        expect(scrubErrorText(text)).toBe('quoted [redacted] here');
      });
    });
  });

  describe('texts without secrets', () => {
    it('leaves a harmless message unchanged', () => {
      const text =
        'Step "score" of run research/20250810T143022.123Z-k3f9a2 failed: the model answered 429 after 3 attempts; see https://status.example.com/incidents?id=42.';
      expect(scrubErrorText(text, noEnvironment)).toBe(text);
    });

    it('leaves stack frames of files with secret-looking names unchanged', () => {
      const stack = [
        'Error: boom',
        '    at Object.run (file:///work/src/token-store.ts:123:45)',
        '    at readKey (/work/src/secret-names.js:10:5)',
      ].join('\n');
      expect(scrubErrorText(stack, noEnvironment)).toBe(stack);
    });

    it('leaves prose after a secret word and a colon unchanged', () => {
      for (const text of [
        'token: expected a string, received undefined',
        'Invalid map option "key": the key function returned an empty string',
        'usage: prompt_tokens: 1200, completion_tokens: 80',
      ]) {
        expect(scrubErrorText(text, noEnvironment)).toBe(text);
      }
    });

    it('leaves token counts alone: they are named like secrets but are numbers of tokens', () => {
      for (const text of [
        'invalid max_tokens=200000 for model gpt-4o',
        '{"max_output_tokens":"unlimited"}',
      ]) {
        expect(scrubErrorText(text, noEnvironment)).toBe(text);
      }
    });

    it('does not hide the marker again', () => {
      const text = 'api_key=[redacted] Authorization: Bearer [redacted]';
      expect(scrubErrorText(text, noEnvironment)).toBe(text);
    });
  });
});
