export * from './domain-error';
export * from './nhs-number';
export * from './ods-code';
export * from './postcode';
export * from './need-code';
export * from './age-band';
export * from './person-key';
export * from './iso-week';
