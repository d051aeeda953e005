//! `ecstpl` and bad input: a flag that cannot work is exit 2 naming the flag, before a single
//! ECS call; what is missing in ECS (a cluster, a service, a template revision) is named as
//! what it is; polls are spaced by a floor whatever `--poll-interval` says; retries of ECS
//! calls are logged with their reason, and nothing secret reaches the output.

use crate::support::proxy::{Fault, RecordingProxy, Rollout};
use crate::support::{Moto, bootstrap_service, ecs_call, ecstpl, ecstpl_command};
use serde_json::json;

#[test]
fn bad_flags_are_exit_2_naming_the_flag_before_any_ecs_call() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    bootstrap_service(&moto.endpoint(), "web");
    let dir = tempfile::tempdir().unwrap();
    let broken_overlay = dir.path().join("overlay.json");
    std::fs::write(&broken_overlay, "{ not json").unwrap();
    let broken_overlay = broken_overlay.display().to_string();
    let missing_overlay = dir.path().join("missing.json").display().to_string();
    let target = ["--cluster", "prod", "--service", "web"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["deploy", "--image", "app=repo:1", "--image", "app=repo:2"],
            "--image app=… is given twice",
        ),
        (vec!["deploy", "--image", "app"], "--image"),
        (vec!["deploy", "--max-retries", "-1"], "--max-retries"),
        (vec!["deploy", "--poll-interval", "-1s"], "--poll-interval"),
        (vec!["deploy", "--timeout=-5m"], "--timeout"),
        (vec!["deploy", "--timeout", "soon"], "--timeout"),
        (vec!["deploy", "--prune-keep", "-1"], "--prune-keep"),
        (
            vec!["deploy", "--image", "app=x", "--overlay", &broken_overlay],
            "--overlay",
        ),
        (
            vec!["render", "--image", "app=x", "--overlay", &missing_overlay],
            "--overlay",
        ),
        (
            vec!["deploy", "--endpoint-url", "ftp://example.com"],
            "endpoint",
        ),
        (vec!["status", "--region", "eu west 1"], "region"),
    ];
    let mut failures = Vec::new();
    for (args, names) in &cases {
        let mut all: Vec<&str> = args.clone();
        all.extend(target);
        let output = ecstpl(&proxy.endpoint(), &all);
        if output.code != 2 || !output.stderr.contains(names) {
            failures.push(format!(
                "{args:?}: exit {} (want 2), stderr must name {names:?}:\n{}",
                output.code, output.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(proxy.calls(), Vec::<String>::new(), "no ECS call at all");
}

#[test]
fn what_is_missing_in_ecs_is_named_as_what_it_is() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    let template = bootstrap_service(&proxy.endpoint(), "web");
    let endpoint = proxy.endpoint();

    let output = ecstpl(
        &endpoint,
        &["status", "--cluster", "nope", "--service", "web"],
    );
    assert_eq!(output.code, 2, "{}", output.combined());
    assert!(
        output.stderr.contains("cluster \"nope\" not found"),
        "{}",
        output.stderr
    );

    let output = ecstpl(
        &endpoint,
        &["status", "--cluster", "prod", "--service", "nope"],
    );
    assert_eq!(output.code, 2, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("service \"nope\" not found in cluster \"prod\""),
        "{}",
        output.stderr
    );

    // The template family loses its last ACTIVE revision.
    let (status, body) = ecs_call(
        &endpoint,
        "DeregisterTaskDefinition",
        &json!({"taskDefinition": template}),
    );
    assert_eq!(status, 200, "{body}");
    let output = ecstpl(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=x",
            "--no-wait",
        ],
    );
    assert_eq!(output.code, 2, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("template family \"web-template\" has no ACTIVE revision"),
        "{}",
        output.stderr
    );
    assert!(
        !output.stderr.contains("run ecstpl deploy"),
        "{}",
        output.stderr
    );
    let output = ecstpl(
        &endpoint,
        &[
            "status",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--output",
            "json",
        ],
    );
    let combined = output.combined();
    assert!(
        combined.contains("has no ACTIVE revision"),
        "status says what is wrong with the template: {combined}"
    );
    assert!(!combined.contains("run ecstpl deploy"), "{combined}");
}

/// `--poll-interval 0s` does not poll in a tight loop: polls are at least the floor (200 ms)
/// apart. The proxy timestamps each call as it arrives; load only makes gaps longer.
#[test]
fn polls_are_spaced_by_the_floor_whatever_poll_interval_says() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(6));
    bootstrap_service(&proxy.endpoint(), "web");
    proxy.clear();
    let output = ecstpl(
        &proxy.endpoint(),
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:1",
            "--poll-interval",
            "0s",
            "--timeout",
            "60s",
        ],
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    let polls = proxy.call_times("DescribeServiceDeployments");
    assert!(
        polls.len() >= 5,
        "the rollout took several polls: {polls:?}"
    );
    let shortest = polls
        .windows(2)
        .map(|pair| pair[1].duration_since(pair[0]))
        .min()
        .unwrap_or_default();
    assert!(
        shortest >= std::time::Duration::from_millis(190),
        "polls {shortest:?} apart"
    );
}

/// Each retried attempt is one line on stderr with the operation and the reason (503s here,
/// as AWS answers when overloaded); the deploy still succeeds. No credential reaches the
/// output, at any log level.
#[test]
fn retries_are_logged_with_their_reason_and_no_secret_reaches_the_output() {
    const SECRET_KEY: &str = "wJalrXUtnFEMIsecretK7MDENGbPxRfiCYEXAMPLEKEY";
    const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLEsessiontokenvalue0123456789";
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    bootstrap_service(&proxy.endpoint(), "web");
    proxy.inject(Fault::ServiceUnavailable {
        operation: Some("RegisterTaskDefinition".into()),
        times: 2,
    });
    proxy.inject(Fault::ServiceUnavailable {
        operation: Some("DescribeServices".into()),
        times: 1,
    });
    let mut outputs = Vec::new();
    for level in ["info", "trace"] {
        let output = ecstpl_command(
            &proxy.endpoint(),
            &[
                "deploy",
                "--cluster",
                "prod",
                "--service",
                "web",
                "--image",
                "app=repo:v1",
                "--poll-interval",
                "50ms",
                "--timeout",
                "60s",
            ],
        )
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("ECSTPL_LOG", level)
        .output()
        .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{text}");
        outputs.push(text);
    }
    let info = &outputs[0];
    let retried = |operation: &str| {
        info.lines()
            .filter(|l| {
                l.contains("ECS call attempt failed")
                    && l.contains(operation)
                    && l.contains("HTTP 503")
            })
            .count()
    };
    assert_eq!(retried("RegisterTaskDefinition"), 2, "{info}");
    assert_eq!(retried("DescribeServices"), 1, "{info}");
    for text in &outputs {
        for secret in [
            SECRET_KEY,
            SESSION_TOKEN,
            &SECRET_KEY[..16],
            &SESSION_TOKEN[..16],
        ] {
            assert!(
                !text.contains(secret),
                "a credential in the output:\n{text}"
            );
        }
    }
}
