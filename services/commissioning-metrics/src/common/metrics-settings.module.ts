import { Global, Module } from '@nestjs/common';
import { DISCLOSURE_RULE, disclosureRuleFromEnv } from './disclosure-rule.token';
import { AnalyticsKeys, IcsDirectory } from './metrics-config';

/** The service's settings from the environment, read once at boot (a bad value stops the boot). */
@Global()
@Module({
  providers: [
    { provide: IcsDirectory, useFactory: () => new IcsDirectory() },
    { provide: AnalyticsKeys, useFactory: () => new AnalyticsKeys() },
    { provide: DISCLOSURE_RULE, useFactory: () => disclosureRuleFromEnv() },
  ],
  exports: [IcsDirectory, AnalyticsKeys, DISCLOSURE_RULE],
})
export class MetricsSettingsModule {}
