//! Properties checked against a real server: generated WebSocket frames,
//! multipart uploads and cursor parameters, each case sent over real
//! connections. The pure parts (file names, the frame parser) have their
//! properties beside them in the crate.

mod cursors;
mod frames;
mod uploads;

use proptest::{
    strategy::Strategy,
    test_runner::{Config, TestCaseResult, TestRunner},
};

/// Runs `property` on `cases` inputs drawn from `strategy`, all against one
/// fixture (a server and its data) made once by `setup`: every case costs
/// real requests, so they are few and share what they can. A failing
/// input is shrunk for a minute at most (a case that fails by timing out
/// takes seconds) and reported, never saved to disk.
pub fn check<F, S>(
    cases: u32,
    setup: impl AsyncFnOnce() -> F,
    strategy: S,
    property: impl AsyncFn(&F, S::Value) -> TestCaseResult,
) where
    S: Strategy,
{
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let fixture = runtime.block_on(setup());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_time: 60_000,
        ..Config::default()
    });
    if let Err(failure) = runner.run(&strategy, |input| {
        runtime.block_on(property(&fixture, input))
    }) {
        panic!("{failure}");
    }
}
