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
