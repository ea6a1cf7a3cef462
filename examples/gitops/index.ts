// Same pipeline and stack outputs as the quickstart; what changes is who runs it (CI, see workflow.yml) and
// where config lives (Pulumi.production.yaml in git, credentials in the CI secret store).
export * from '../quickstart/index';
