//! The README's main command, `scripts/demo`, runs the whole pattern end to end and succeeds.

use crate::support;

#[test]
fn the_demo_runs_the_whole_loop() {
    // The binaries this test run built: a nested `cargo build` would rebuild them with other
    // features and replace them under the feet of the tests running in parallel.
    let bin_dir = std::path::Path::new(support::PROVIDER_BINARY)
        .parent()
        .unwrap();
    assert!(
        bin_dir.join("examples/ecs-rollout-proxy").exists(),
        "the rollout simulator is missing: `cargo build --examples` (scripts/test does)"
    );
    let output = std::process::Command::new(support::repo_root().join("scripts/demo"))
        .env("ECSTPL_DEMO_BIN_DIR", bin_dir)
        .env_remove("TF_LOG")
        .output()
        .expect("run scripts/demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "scripts/demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "paused at POST_TEST_TRAFFIC_SHIFT",
        "paused:           lifecycle hook",
        "deployment SUCCESSFUL",
        "in sync:          no",
        "in sync:          yes",
        "image:            app = repo:v1",
        "Done: Terraform owns the template",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}
