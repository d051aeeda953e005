//! ECS's published request rates at fleet scale, scaled down for CI: the emulator throttles
//! with ECS's own token buckets (tests/it/support/throttle.rs, refill rates × `SCALE`), and ecstpl
//! is told the same buckets through its raised-limits setting. A module change that touches
//! every template of a Terraform run, and a fleet of CI deploys started at once, both end
//! without an error; the counts are asserted, never the time (figures: BENCHMARKS.md).

use std::process::{Child, Stdio};

use crate::support;
use crate::support::proxy::{RecordingProxy, Rollout};
use crate::support::templates::provider_header;
use crate::support::{
    Moto, Workspace, bootstrap_service, ecs_call, ecstpl_command, revisions, terraform_binaries,
};
use serde_json::json;

/// Refill rates × 5: a module change of 25 templates (50 task definition modify calls
/// against a burst of 20) needs 6 s instead of 30.
const SCALE: f64 = 5.0;
const TEMPLATES: usize = 25;
const DEPLOYS: usize = 25;

fn limits_hcl(limits: &std::collections::BTreeMap<String, String>) -> String {
    limits
        .iter()
        .map(|(category, limit)| format!("    {category} = \"{limit}\"\n"))
        .collect()
}

fn module(limits: &std::collections::BTreeMap<String, String>, level: &str) -> String {
    let header = provider_header(&format!(
        "  max_retries = 3\n  ecs_rate_limits = {{\n{}  }}\n",
        limits_hcl(limits)
    ));
    format!(
        r#"{header}
resource "ecstpl_template" "t" {{
  count         = {TEMPLATES}
  family        = "svc-${{count.index}}-template"
  deploy_family = "svc-${{count.index}}"
  memory        = "512"
  container_definitions = jsonencode([{{
    name        = "app"
    image       = "placeholder"
    environment = [{{ name = "LEVEL", value = "{level}" }}]
  }}])
}}
"#
    )
}

/// One provider process paces every template of the run to the buckets, so it is hardly ever
/// throttled. The bound: it starts with full buckets, but the plan's own provider process
/// spent read tokens a moment before, and other callers may spend any; each throttled answer
/// empties the category's client bucket and halves its rate, so the client is slower than
/// the emulator afterwards, and only calls that had already reserved a token (at most
/// Terraform's parallelism, 10) can meet an empty bucket in the same episode.
#[test]
fn a_module_change_of_25_templates_applies_under_ecs_rate_limits_without_error() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let limits = proxy.throttle_like_ecs(SCALE);
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    workspace.write("main.tf", &module(&limits, "a"));
    workspace.apply(&[]);
    let after_create = proxy.with_ecs_throttle(|t| t.total_throttled());

    // The change: every template registers a new revision and deregisters the one it
    // superseded, 50 task definition modify calls against a bucket of 20.
    workspace.write("main.tf", &module(&limits, "b"));
    let applied = workspace.apply(&[]);
    let (throttled, by_action, floor) =
        proxy.with_ecs_throttle(|t| (t.total_throttled(), t.throttled.clone(), t.floor_seconds()));
    eprintln!(
        "{TEMPLATES} templates at {SCALE}× ECS's rates: {after_create} throttled answers while creating, {} while changing ({by_action:?}); the buckets' floor for all calls so far: {floor:.1} s",
        throttled - after_create
    );
    assert!(
        !applied.combined().contains("Could not deregister"),
        "no clean-up was left for later:\n{}",
        applied.combined()
    );
    for i in 0..TEMPLATES {
        let family = format!("svc-{i}-template");
        let active = revisions(&moto.endpoint(), &family, "ACTIVE");
        assert_eq!(
            active,
            vec![format!(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:2"
            )],
            "every template on its new revision, the superseded one deregistered"
        );
    }
    assert!(
        throttled <= 10,
        "one provider process paces itself: {throttled} throttled answers ({by_action:?})"
    );
    let (code, plan) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", plan.combined());
}

/// Separate CI jobs share nothing but the account's buckets: each `ecstpl deploy` backs off
/// with jitter and an adapting rate until it gets through. The bound per process: after its
/// k-th throttled answer a call waits at least 2^k token-times (its rate halves, down to an
/// eighth), so while the fleet's 25 registrations drain through a bucket of 20 refilled at
/// 5 per second, one process is throttled a handful of times at most, never 10.
#[test]
fn twenty_five_deploys_started_at_once_all_succeed_under_ecs_rate_limits() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(0));
    for i in 0..DEPLOYS {
        bootstrap_service(&proxy.endpoint(), &format!("svc{i}"));
    }
    proxy.clear();
    let limits = proxy.throttle_like_ecs(SCALE);
    let limits: Vec<String> = limits.iter().map(|(c, l)| format!("{c}={l}")).collect();
    let limits = limits.join(",");
    let children: Vec<(String, Child)> = (0..DEPLOYS)
        .map(|i| {
            let key = format!("deploy{i}");
            let child = ecstpl_command(
                &proxy.endpoint(),
                &[
                    "deploy",
                    "--cluster",
                    "prod",
                    "--service",
                    &format!("svc{i}"),
                    "--image",
                    "app=repo:v1",
                    "--no-wait",
                    "--timeout",
                    "5m",
                ],
            )
            .env("AWS_ACCESS_KEY_ID", &key)
            .env("ECSTPL_ECS_RATE_LIMITS", &limits)
            .env("ECSTPL_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ecstpl");
            (key, child)
        })
        .collect();
    let mut failed = Vec::new();
    for (key, child) in children {
        let output = child.wait_with_output().expect("ecstpl ran");
        if !output.status.success() {
            failed.push(format!(
                "{key}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    for i in 0..DEPLOYS {
        let (_, services) = ecs_call(
            &moto.endpoint(),
            "DescribeServices",
            &json!({"cluster": "prod", "services": [format!("svc{i}")]}),
        );
        let live = services["services"][0]["taskDefinition"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (_, described) = ecs_call(
            &moto.endpoint(),
            "DescribeTaskDefinition",
            &json!({"taskDefinition": live}),
        );
        assert_eq!(
            described["taskDefinition"]["containerDefinitions"][0]["image"], "repo:v1",
            "svc{i} runs its deploy's revision ({live})"
        );
    }
    let (by_key, by_action, total, floor) = proxy.with_ecs_throttle(|t| {
        (
            t.throttled_by_key.clone(),
            t.throttled.clone(),
            t.total_throttled(),
            t.floor_seconds(),
        )
    });
    let registrations = proxy.count("RegisterTaskDefinition");
    assert_eq!(
        registrations,
        DEPLOYS
            + by_action
                .get("RegisterTaskDefinition")
                .copied()
                .unwrap_or(0) as usize,
        "one registration per deploy (no twin), plus one per throttled attempt"
    );
    let most = by_key.values().copied().max().unwrap_or(0);
    eprintln!(
        "{DEPLOYS} deploys at {SCALE}× ECS's rates: {total} throttled answers ({by_action:?}), at most {most} for one process; floor {floor:.1} s"
    );
    assert!(
        most < 10,
        "a process backs off as it is throttled: {by_key:?}"
    );
}

#[test]
fn raised_rate_limits_that_cannot_work_are_refused_before_any_call() {
    // Nothing listens there: the flag is checked first.
    let output = support::ecstpl(
        "http://127.0.0.1:9",
        &[
            "--ecs-rate-limits",
            "task_definition_modify=40/2,task_definitions=40/2",
            "status",
            "--cluster",
            "prod",
            "--service",
            "web",
        ],
    );
    assert_eq!(output.code, 2, "{}", output.combined());
    assert!(
        output.stderr.contains("--ecs-rate-limits")
            && output.stderr.contains("not an ECS throttling category"),
        "{}",
        output.stderr
    );
}
