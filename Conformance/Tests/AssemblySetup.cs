// Under ./udpconf mutate, children of the test process must not take part in Stryker's per-test coverage (see
// MutationRun.IsolateChildren).
[assembly: Udpconf.TestSupport.IsolateMutationCoverage]

// Every scratch folder of the tests lives under one folder of the test process, removed after the last test.
[assembly: Xunit.AssemblyFixture(typeof(Udpconf.TestSupport.TempFoldersCleanup))]
