//! The test harness itself: the emulator answers, the proxy records and injects faults, the
//! ECS-like rewrite and the rollout simulation do what the other tests rely on.

use crate::support::proxy::{Fault, RecordingProxy, Rollout};
use crate::support::{Moto, ecs_client};
use aws_sdk_ecs::types::{ContainerDefinition, PortMapping};

#[tokio::test(flavor = "multi_thread")]
async fn proxy_records_operations_and_injects_throttling() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let ecs = ecs_client(&proxy.endpoint()).await;
    ecs.list_clusters().send().await.unwrap();
    proxy.inject(Fault::Throttle {
        operation: Some("ListClusters".into()),
        times: 1,
    });
    // The SDK client of the tests retries throttling too; it must still succeed.
    ecs.list_clusters().send().await.unwrap();
    assert_eq!(proxy.injected(), 1);
    assert_eq!(
        proxy.calls(),
        vec!["ListClusters", "ListClusters", "ListClusters"]
    );
    assert!(proxy.write_calls().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_rewrites_task_definitions_like_ecs() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let ecs = ecs_client(&proxy.endpoint()).await;
    ecs.register_task_definition()
        .family("f")
        .memory("512")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("x")
                .port_mappings(PortMapping::builder().container_port(80).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let described = ecs
        .describe_task_definition()
        .task_definition("f")
        .send()
        .await
        .unwrap();
    let container = &described.task_definition().unwrap().container_definitions()[0];
    assert_eq!(container.essential(), Some(true));
    let mapping = &container.port_mappings()[0];
    assert_eq!(mapping.host_port(), Some(80));
    assert_eq!(mapping.protocol().map(|p| p.as_str()), Some("tcp"));
    assert_eq!(proxy.write_calls(), vec!["RegisterTaskDefinition"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rollouts_complete_or_roll_back() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::FailAfter(1));
    let ecs = ecs_client(&proxy.endpoint()).await;
    ecs.create_cluster().cluster_name("c").send().await.unwrap();
    let mut arns = Vec::new();
    for image in ["a", "b"] {
        let registered = ecs
            .register_task_definition()
            .family("f")
            .memory("128")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(image)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        arns.push(
            registered
                .task_definition()
                .unwrap()
                .task_definition_arn()
                .unwrap()
                .to_string(),
        );
    }
    ecs.create_service()
        .cluster("c")
        .service_name("s")
        .task_definition(&arns[0])
        .desired_count(1)
        .send()
        .await
        .unwrap();
    ecs.update_service()
        .cluster("c")
        .service("s")
        .task_definition(&arns[1])
        .send()
        .await
        .unwrap();
    let describe = || async {
        ecs.describe_services()
            .cluster("c")
            .services("s")
            .send()
            .await
            .unwrap()
            .services()[0]
            .clone()
    };
    let first = describe().await;
    assert_eq!(
        first.deployments()[0].task_definition(),
        Some(arns[1].as_str())
    );
    assert_eq!(
        first.deployments()[0].rollout_state().map(|s| s.as_str()),
        Some("IN_PROGRESS")
    );
    let second = describe().await;
    let primary = &second.deployments()[0];
    assert_eq!(primary.status(), Some("PRIMARY"));
    assert_eq!(
        primary.task_definition(),
        Some(arns[0].as_str()),
        "rolled back to the previous revision"
    );
    assert_eq!(second.task_definition(), Some(arns[0].as_str()));
}

/// ECS tells services apart by Region and cluster, not by name alone (a service ARN is
/// `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`; service names are unique within a
/// cluster, CreateService in the API reference): three services called `web` deploy and report
/// their own revisions and deployments.
#[test]
fn the_simulator_tells_services_of_one_name_apart_by_region_and_cluster() {
    use crate::support::deployments::Scenario;
    use crate::support::{bootstrap_service_in, ecs_call_in};
    use serde_json::json;
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let endpoint = proxy.endpoint();
    let places = [
        ("us-east-1", "prod", "v1"),
        ("eu-west-1", "prod", "v2"),
        ("us-east-1", "staging", "v3"),
    ];
    for (region, cluster, _) in places {
        bootstrap_service_in(&endpoint, region, cluster, "web", "web-template", "web");
    }
    let mut revisions = Vec::new();
    for (region, cluster, tag) in places {
        let (status, registered) = ecs_call_in(
            &endpoint,
            region,
            "RegisterTaskDefinition",
            &json!({"family": "web", "memory": "512",
                    "containerDefinitions": [{"name": "app", "image": format!("repo/app:{tag}")}]}),
        );
        assert_eq!(status, 200, "{registered}");
        let arn = registered["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (status, updated) = ecs_call_in(
            &endpoint,
            region,
            "UpdateService",
            &json!({"cluster": cluster, "service": "web", "taskDefinition": arn}),
        );
        assert_eq!(status, 200, "{updated}");
        revisions.push(arn);
    }
    for ((region, cluster, _), revision) in places.iter().zip(&revisions) {
        // Observed a few times, each deployment runs to its end.
        let mut service = json!(null);
        for _ in 0..4 {
            let (_, described) = ecs_call_in(
                &endpoint,
                region,
                "DescribeServices",
                &json!({"cluster": cluster, "services": ["web"]}),
            );
            service = described["services"][0].clone();
        }
        assert_eq!(
            service["taskDefinition"].as_str(),
            Some(revision.as_str()),
            "{region}/{cluster}/web: {service}"
        );
        let (_, listed) = ecs_call_in(
            &endpoint,
            region,
            "ListServiceDeployments",
            &json!({"cluster": cluster, "service": "web"}),
        );
        let deployments = listed["serviceDeployments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(deployments.len(), 1, "{region}/{cluster}/web: {listed}");
        assert_eq!(
            deployments[0]["serviceArn"].as_str(),
            service["serviceArn"].as_str(),
            "{region}/{cluster}/web: {listed}"
        );
    }
}
