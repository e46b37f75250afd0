import { oidcSettings } from './oidc-sign-in';

describe('oidcSettings', () => {
  it('is off when neither the issuer nor the client id is set', () => {
    expect(oidcSettings({}, 3000)).toBeUndefined();
  });

  it('refuses half a configuration rather than silently leaving sign-in off', () => {
    expect(() => oidcSettings({ OIDC_ISSUER: 'https://idp.example' }, 3000)).toThrow(/OIDC_CLIENT_ID/);
    expect(() => oidcSettings({ OIDC_CLIENT_ID: 'sp-console' }, 3000)).toThrow(/OIDC_ISSUER/);
  });

  it('defaults the redirect URI to the gateway callback and the scope to openid', () => {
    expect(oidcSettings({ OIDC_ISSUER: 'https://idp.example', OIDC_CLIENT_ID: 'sp-console' }, 3100)).toEqual({
      issuer: 'https://idp.example',
      clientId: 'sp-console',
      clientSecret: undefined,
      redirectUri: 'http://localhost:3100/console/auth/callback',
      scope: 'openid',
    });
  });

  it('takes the secret, redirect URI and scope from the environment, and checks the URLs', () => {
    const env = {
      OIDC_ISSUER: 'https://idp.example',
      OIDC_CLIENT_ID: 'sp-console',
      OIDC_CLIENT_SECRET: ' s3cret ',
      OIDC_REDIRECT_URI: 'https://sp.example/console/auth/callback',
      OIDC_SCOPE: 'openid profile sp',
    };
    expect(oidcSettings(env, 3000)).toMatchObject({
      clientSecret: 's3cret',
      redirectUri: 'https://sp.example/console/auth/callback',
      scope: 'openid profile sp',
    });
    expect(() => oidcSettings({ ...env, OIDC_REDIRECT_URI: 'not a url' }, 3000)).toThrow(/OIDC_REDIRECT_URI/);
  });
});
