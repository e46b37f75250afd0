import { Global, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DISCLOSURE_RULE, disclosureRuleFromEnv } from './disclosure-rule.token';
import { AnalyticsKeys, IcsDirectory } from './metrics-config';

/**
 * The service's settings from the environment, read once at boot (a bad value stops the boot), and
 * the PCN-to-ICS directory built on them and on the registered PCNs.
 */
@Global()
@Module({
  providers: [
    // The registered PCNs (pcn_ics) first, the environment for the rest.
    {
      provide: IcsDirectory,
      inject: [getDataSourceToken()],
      useFactory: (ds: DataSource) => new IcsDirectory(process.env, ds),
    },
    { provide: AnalyticsKeys, useFactory: () => new AnalyticsKeys() },
    { provide: DISCLOSURE_RULE, useFactory: () => disclosureRuleFromEnv() },
  ],
  exports: [IcsDirectory, AnalyticsKeys, DISCLOSURE_RULE],
})
export class MetricsSettingsModule {}
