//! The whole pattern, end to end: Terraform owns the template, `ecstpl` deploys images, the
//! data source keeps plans clean. Real Terraform, moto, and the proxy that plays ECS's
//! rollouts (complete, or fail and roll back as a circuit breaker does).

use crate::support;
use crate::support::proxy::{RecordingProxy, Rollout};
use crate::support::templates::web_stack;
use crate::support::{
    CmdOutput, Moto, Workspace, create_service, ecs_client, ecstpl, ecstpl_with_summary,
    terraform_binaries,
};
use serde_json::{Value as Json, json};

fn config(log_level: &str) -> String {
    web_stack(log_level, "  tags          = { team = \"web\" }\n")
}

const SERVICE: [&str; 4] = ["--cluster", "prod", "--service", "web"];
const FAST: [&str; 4] = ["--poll-interval", "50ms", "--timeout", "30s"];

fn deploy(endpoint: &str, extra: &[&str]) -> CmdOutput {
    let mut args = vec!["deploy"];
    args.extend(SERVICE);
    args.extend(FAST);
    args.extend(extra);
    ecstpl(endpoint, &args)
}

async fn live(ecs: &aws_sdk_ecs::Client) -> aws_sdk_ecs::types::TaskDefinition {
    let services = ecs
        .describe_services()
        .cluster("prod")
        .services("web")
        .send()
        .await
        .unwrap();
    let arn = services.services()[0]
        .task_definition()
        .unwrap()
        .to_string();
    ecs.describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone()
}

fn env(definition: &aws_sdk_ecs::types::TaskDefinition, name: &str) -> Option<String> {
    definition.container_definitions()[0]
        .environment()
        .iter()
        .find(|e| e.name() == Some(name))
        .and_then(|e| e.value().map(str::to_string))
}

fn image(definition: &aws_sdk_ecs::types::TaskDefinition) -> String {
    definition.container_definitions()[0]
        .image()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_full_loop_keeps_plans_clean_and_rolls_template_changes_out() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(2));
    let endpoint = proxy.endpoint();
    let ecs = ecs_client(&endpoint).await;
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);

    // 1. terraform apply: template + data source with its fallback.
    workspace.write("main.tf", &config("info"));
    workspace.apply(&[]);
    // 2. The service is created on the template revision.
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 2, "taskDefinition": "web-template:1"}),
    );
    // 3. CI deploys an image.
    let deployed = deploy(&endpoint, &["--image", "app=repo:v1", "--output", "json"]);
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    let result: Json = serde_json::from_str(deployed.stdout.trim()).unwrap();
    assert_eq!(result["result"], "deployed");
    assert_eq!(result["template"], "web-template:1");
    let running = live(&ecs).await;
    assert_eq!(running.family(), Some("web"));
    assert_eq!(image(&running), "repo:v1");
    // 4. Plans stay clean after a deploy.
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
    // 5. A template change: one in-place update of the template only.
    workspace.write("main.tf", &config("debug"));
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2);
    assert!(
        output
            .stdout
            .contains("ecstpl_template.web will be updated in-place"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        output.stdout
    );
    workspace.apply(&[]);
    // 6. status says the service is behind the template.
    let mut args = vec!["status", "--output", "json"];
    args.extend(SERVICE);
    let status = ecstpl(&endpoint, &args);
    assert_eq!(status.code, 0, "{}", status.combined());
    let status: Json = serde_json::from_str(status.stdout.trim()).unwrap();
    assert_eq!(status["in_sync"], false);
    assert_eq!(status["template"], "web-template:1");
    assert_eq!(status["latest_template"], "web-template:2");
    // 7. deploy without --image rolls the template change out and keeps CI's image.
    let deployed = deploy(&endpoint, &[]);
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    let running = live(&ecs).await;
    assert_eq!(env(&running, "LOG_LEVEL").as_deref(), Some("debug"));
    assert_eq!(image(&running), "repo:v1");
    // 8. And the plan is clean again.
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
    let status = ecstpl(
        &endpoint,
        &[
            "status",
            "--output",
            "json",
            "--cluster",
            "prod",
            "--service",
            "web",
        ],
    );
    let status: Json = serde_json::from_str(status.stdout.trim()).unwrap();
    assert_eq!(status["in_sync"], true);
    assert_eq!(status["drift"], serde_json::json!([]));
    // ecstpl deregisters nothing unless asked: the one deregistration is Terraform's, of
    // the superseded template revision.
    assert_eq!(proxy.count("DeregisterTaskDefinition"), 1);
    // Deploys change the task definition only: desiredCount is autoscaling's.
    let services = ecs
        .describe_services()
        .cluster("prod")
        .services("web")
        .send()
        .await
        .unwrap();
    assert_eq!(services.services()[0].desired_count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolled_back_deploy_fails_with_its_own_exit_code_and_rollback_works() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    let endpoint = proxy.endpoint();
    let ecs = ecs_client(&endpoint).await;
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write("main.tf", &config("info"));
    workspace.apply(&[]);
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": "web-template:1"}),
    );

    assert_eq!(deploy(&endpoint, &["--image", "app=repo:v1"]).code, 0);
    assert_eq!(deploy(&endpoint, &["--image", "app=repo:v2"]).code, 0);
    assert_eq!(image(&live(&ecs).await), "repo:v2");

    // The next rollout fails; the circuit breaker puts the service back on web:2.
    proxy.simulate_rollouts(Rollout::FailAfter(1));
    let failed = deploy(&endpoint, &["--image", "app=repo:broken"]);
    assert_eq!(
        failed.code,
        4,
        "rollout failed has its own exit code:\n{}",
        failed.combined()
    );
    assert!(
        failed.combined().contains("ROLLBACK_SUCCESSFUL")
            && failed.combined().contains("circuit breaker"),
        "{}",
        failed.combined()
    );
    let running = live(&ecs).await;
    assert_eq!(
        image(&running),
        "repo:v2",
        "the service ends on the last good revision"
    );
    assert_eq!(running.revision(), 2);

    // rollback: back to the previous deployed revision (web:1, repo:v1).
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    let mut args = vec!["rollback"];
    args.extend(SERVICE);
    args.extend(FAST);
    let rolled = ecstpl(&endpoint, &args);
    assert_eq!(rolled.code, 0, "{}", rolled.combined());
    assert_eq!(image(&live(&ecs).await), "repo:v1");
    // and forward again to a given revision
    let mut args = vec!["rollback", "--to", "2"];
    args.extend(SERVICE);
    args.extend(FAST);
    assert_eq!(ecstpl(&endpoint, &args).code, 0);
    assert_eq!(image(&live(&ecs).await), "repo:v2");

    // Bad input has its own exit code and registers nothing.
    proxy.clear();
    let bad = deploy(&endpoint, &["--image", "nosuchcontainer=x"]);
    assert_eq!(bad.code, 2, "{}", bad.combined());
    assert!(bad.stderr.contains("no container named"), "{}", bad.stderr);
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
    // A timeout has its own exit code too.
    proxy.simulate_rollouts(Rollout::CompleteAfter(1000));
    let mut args = vec![
        "deploy",
        "--image",
        "app=repo:v3",
        "--timeout",
        "300ms",
        "--poll-interval",
        "50ms",
    ];
    args.extend(SERVICE);
    let slow = ecstpl(&endpoint, &args);
    assert_eq!(slow.code, 5, "{}", slow.combined());
}

#[tokio::test(flavor = "multi_thread")]
async fn render_carries_every_field_and_tag_of_corpus_templates() {
    let moto = Moto::start();
    let client = ecs_client(&moto.endpoint()).await;
    // Templates go in through ecstpl's own adapter: raw JSON, every field kept.
    let ecs = ecstpl::aws::Ecs::from_client(client.clone());
    client
        .create_cluster()
        .cluster_name("prod")
        .send()
        .await
        .unwrap();
    // The files as their tools render them (support::templates::corpus).
    let files = support::templates::corpus("valid");
    let mut checked = 0;
    for (index, (name, mut template)) in files.into_iter().enumerate() {
        ecstpl::taskdef::strip_read_only(&mut template);
        let path = name;
        let family = format!("t{index}-template");
        template.insert("family".into(), Json::from(family.clone()));
        let mut tags = template
            .get("tags")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        tags.push(serde_json::json!({"key": "ecstpl:role", "value": "template"}));
        tags.push(serde_json::json!({"key": "ecstpl:deploy-family", "value": format!("t{index}")}));
        tags.push(serde_json::json!({"key": "owner", "value": "platform"}));
        template.insert("tags".into(), Json::Array(tags));
        let registered = ecs.register_task_definition(&template).await.unwrap();
        let service = format!("s{index}");
        client
            .create_service()
            .cluster("prod")
            .service_name(&service)
            .task_definition(registered.arn())
            .desired_count(1)
            .send()
            .await
            .unwrap();

        let output = ecstpl(
            &moto.endpoint(),
            &["render", "--cluster", "prod", "--service", &service],
        );
        assert_eq!(output.code, 0, "{path}: {}", output.combined());
        let rendered: serde_json::Map<String, Json> = serde_json::from_str(&output.stdout).unwrap();
        for field in ecstpl::taskdef::READ_ONLY_FIELDS {
            assert!(
                !rendered.contains_key(*field),
                "{}: read-only {field} sent",
                path
            );
        }
        assert_eq!(rendered["family"], format!("t{index}"));
        // Enum fields dumped as "" (unset) are documented not to be sent; the rest is carried.
        let mut stored = registered.task_definition.clone();
        ecstpl::taskdef::without_empty_enums(&mut stored);
        for (key, value) in &stored {
            if ecstpl::taskdef::READ_ONLY_FIELDS.contains(&key.as_str()) || key == "family" {
                continue;
            }
            assert_eq!(
                rendered.get(key),
                Some(value),
                "{}: field {key} lost or changed",
                path
            );
        }
        let rendered_tags = rendered["tags"].as_array().unwrap();
        let has = |k: &str, v: &str| {
            rendered_tags
                .iter()
                .any(|t| t["key"] == k && t["value"] == v)
        };
        assert!(has("owner", "platform"), "{}: template tag lost", path);
        for (key, value) in registered
            .tags
            .iter()
            .filter(|(k, _)| !k.starts_with("ecstpl:"))
        {
            assert!(has(key, value), "{}: tag {key} lost", path);
        }
        assert!(has("ecstpl:role", "deployed"));
        assert!(has("ecstpl:template", &format!("{family}:1")));
        checked += 1;
    }
    assert!(checked >= 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_overlay_step_summary_throttling_and_prune() {
    use crate::support::proxy::Fault;
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(0));
    let endpoint = proxy.endpoint();
    let ecs = ecs_client(&endpoint).await;
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write("main.tf", &config("info"));
    workspace.apply(&[]);
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": "web-template:1"}),
    );

    // diff shows what a deploy would change, as a unified diff.
    let mut args = vec!["diff", "--image", "app=repo:v1"];
    args.extend(SERVICE);
    let diff = ecstpl(&endpoint, &args);
    assert_eq!(diff.code, 0, "{}", diff.combined());
    assert!(
        diff.stdout.contains("-      \"image\": \"placeholder\""),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("+      \"image\": \"repo:v1\""),
        "{}",
        diff.stdout
    );

    // Throttled registrations are retried with backoff, and the step summary is written.
    proxy.inject(Fault::Throttle {
        operation: Some("RegisterTaskDefinition".into()),
        times: 3,
    });
    let summary = tempfile::NamedTempFile::new().unwrap();
    let overlay = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        overlay.path(),
        r#"{"containerDefinitions": [{"name": "app", "environment": [{"name": "FEATURE_X", "value": "on"}]}]}"#,
    )
    .unwrap();
    let mut args = vec![
        "deploy",
        "--image",
        "app=repo:v1",
        "--overlay",
        overlay.path().to_str().unwrap(),
    ];
    args.extend(SERVICE);
    args.extend(FAST);
    let output = ecstpl_with_summary(&endpoint, &args, summary.path());
    assert!(output.success(), "{}", output.stderr);
    assert_eq!(
        proxy.injected(),
        3,
        "three throttled attempts, then success"
    );
    let running = live(&ecs).await;
    assert_eq!(
        env(&running, "FEATURE_X").as_deref(),
        Some("on"),
        "overlay upserts environment by name"
    );
    assert_eq!(
        env(&running, "LOG_LEVEL").as_deref(),
        Some("info"),
        "the template's variables stay"
    );
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        written.contains("ecstpl deploy") && written.contains("repo:v1"),
        "{written}"
    );

    // --prune-keep 1 deregisters older deployed revisions ecstpl registered, nothing else.
    for tag in ["v2", "v3"] {
        let image = format!("app=repo:{tag}");
        let deployed = deploy(&endpoint, &["--image", image.as_str(), "--prune-keep", "1"]);
        assert_eq!(deployed.code, 0, "{}", deployed.combined());
    }
    let status = |revision: i32| {
        let ecs = ecs.clone();
        async move {
            ecs.describe_task_definition()
                .task_definition(format!("web:{revision}"))
                .send()
                .await
                .unwrap()
                .task_definition()
                .unwrap()
                .status()
                .unwrap()
                .as_str()
                .to_string()
        }
    };
    assert_eq!(status(1).await, "INACTIVE");
    assert_eq!(
        status(2).await,
        "ACTIVE",
        "the newest one before the live one is kept"
    );
    assert_eq!(status(3).await, "ACTIVE");
}

/// `diff` compares what the definitions mean: a live revision that differs from the rendered
/// one only in what ECS rewrites (entry order, filled-in defaults) is no change, and a real
/// change shows alone.
#[tokio::test(flavor = "multi_thread")]
async fn diff_shows_only_real_differences() {
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let ecs = ecs_client(&endpoint).await;
    let template = json!({"family": "api-template", "memory": "512", "networkMode": "awsvpc",
        "containerDefinitions": [{"name": "app", "image": "placeholder",
            "portMappings": [{"containerPort": 8080}],
            "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}],
        "tags": [{"key": "ecstpl:role", "value": "template"}, {"key": "ecstpl:deploy-family", "value": "api"}]});
    support::register_raw(&endpoint, &template);
    let live = |b: &str| {
        json!({"family": "api", "memory": "512", "networkMode": "awsvpc",
            "containerDefinitions": [{"name": "app", "image": "repo:v1", "essential": true, "cpu": 0,
                "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                "environment": [{"name": "B", "value": b}, {"name": "A", "value": "1"}]}],
            "tags": [{"key": "ecstpl:role", "value": "deployed"}, {"key": "ecstpl:template", "value": "api-template:1"},
                     {"key": "ecstpl:ci-images", "value": "app"}]})
    };
    support::register_raw(&endpoint, &live("2"));
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "api", "desiredCount": 1, "taskDefinition": "api:1"}),
    );
    let diff = ecstpl(
        &endpoint,
        &["diff", "--cluster", "prod", "--service", "api"],
    );
    assert_eq!(diff.code, 0, "{}", diff.combined());
    assert!(diff.stdout.starts_with("No changes"), "{}", diff.stdout);

    support::register_raw(&endpoint, &live("3"));
    ecs.create_service()
        .cluster("prod")
        .service_name("api-edited")
        .task_definition("api:2")
        .desired_count(1)
        .send()
        .await
        .unwrap();
    let diff = ecstpl(
        &endpoint,
        &["diff", "--cluster", "prod", "--service", "api-edited"],
    );
    assert_eq!(diff.code, 0, "{}", diff.combined());
    let changed: Vec<String> = diff
        .stdout
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        changed,
        vec!["- \"value\": \"3\"", "+ \"value\": \"2\""],
        "{}",
        diff.stdout
    );
}
