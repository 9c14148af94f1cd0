// Under ./udpconf mutate, children of the test process must not take part in Stryker's per-test coverage (see
// MutationRun.IsolateChildren).
[assembly: Udpconf.TestSupport.IsolateMutationCoverage]
