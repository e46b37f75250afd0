import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_CONFIG } from './auth.constants';
import { AuthConfig, resolveAuthConfig } from './auth-config';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtVerifier } from './jwt-verifier';

export interface AuthModuleOptions {
  /** Defaults to the environment, read when the module is created. */
  config?: AuthConfig;
  /** Register JwtAuthGuard as the app-wide guard (default true). */
  globalGuard?: boolean;
}

/**
 * `AuthModule.forRoot()` once in each app: provides AUTH_CONFIG and JwtVerifier everywhere and guards
 * every `/api` route (see JwtAuthGuard).
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: AUTH_CONFIG, useFactory: (): AuthConfig => options.config ?? resolveAuthConfig() },
      JwtVerifier,
    ];
    if (options.globalGuard !== false) providers.push({ provide: APP_GUARD, useClass: JwtAuthGuard });
    return { module: AuthModule, global: true, providers, exports: [AUTH_CONFIG, JwtVerifier] };
  }
}
