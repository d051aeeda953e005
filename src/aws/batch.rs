//! Reads many at a time, for commands that follow many services at once (a fleet): callers
//! that ask for a service (DescribeServices, per cluster) or a service deployment
//! (DescribeServiceDeployments) within a short window are answered by one call of up to the
//! API's maximum (10 services, 20 deployment ARNs); revisions by full ARN are immutable, so
//! each is described once, and a family's newest revision is read once per command.
//!
//! The window also lines polls up: followers answered by the same call sleep the same poll
//! interval and ask again together, so a wave of N deployments costs ⌈N/20⌉ calls a poll.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OnceCell, oneshot};

use crate::aws::{AwsError, Ecs, Revision, Service, ServiceDeployment};

/// DescribeServices takes at most 10 services a call.
pub const SERVICES_PER_CALL: usize = 10;
/// DescribeServiceDeployments takes at most 20 ARNs a call.
pub const DEPLOYMENTS_PER_CALL: usize = 20;

type Reply<T> = oneshot::Sender<Result<Option<T>, AwsError>>;

struct Group<T> {
    waiting: Vec<(String, Reply<T>)>,
    /// A task is gathering this group (it sends what is waiting when the window ends).
    scheduled: bool,
}

/// Requests gathered per group (a cluster, say) and sent in calls of at most `max` ids.
pub(crate) struct Gather<T> {
    window: Duration,
    max: usize,
    groups: Mutex<HashMap<String, Group<T>>>,
}

impl<T: Clone + Send + 'static> Gather<T> {
    fn new(window: Duration, max: usize) -> Self {
        Gather {
            window,
            max: max.max(1),
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// Asks for `id` of `group`; `fetch(ecs, group, ids)` answers a whole batch, one entry per
    /// id in order.
    async fn ask<F, Fut>(
        self: &Arc<Self>,
        ecs: &Ecs,
        group: &str,
        id: &str,
        fetch: F,
    ) -> Result<Option<T>, AwsError>
    where
        F: Fn(Ecs, String, Vec<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Option<T>>, AwsError>> + Send,
    {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            let entry = groups.entry(group.to_string()).or_insert_with(|| Group {
                waiting: Vec::new(),
                scheduled: false,
            });
            entry.waiting.push((id.to_string(), reply));
            !std::mem::replace(&mut entry.scheduled, true)
        };
        if start {
            let gather = Arc::clone(self);
            let ecs = ecs.clone();
            let group = group.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(gather.window).await;
                gather.send_all(&ecs, &group, fetch).await;
            });
        }
        answer.await.unwrap_or_else(|_| {
            Err(AwsError::Config(
                "a batched read ended without an answer".into(),
            ))
        })
    }

    async fn send_all<F, Fut>(&self, ecs: &Ecs, group: &str, fetch: F)
    where
        F: Fn(Ecs, String, Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<Option<T>>, AwsError>>,
    {
        loop {
            let batch: Vec<(String, Reply<T>)> = {
                let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
                let Some(entry) = groups.get_mut(group) else {
                    return;
                };
                // Ids asked twice in the batch count once against the call's maximum.
                let mut ids: Vec<&str> = Vec::new();
                let mut take = 0;
                for (id, _) in &entry.waiting {
                    if !ids.contains(&id.as_str()) {
                        if ids.len() == self.max {
                            break;
                        }
                        ids.push(id);
                    }
                    take += 1;
                }
                if take == 0 {
                    entry.scheduled = false;
                    return;
                }
                entry.waiting.drain(..take).collect()
            };
            let mut ids: Vec<String> = Vec::new();
            for (id, _) in &batch {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            match fetch(ecs.clone(), group.to_string(), ids.clone()).await {
                Ok(found) => {
                    for (id, reply) in batch {
                        let index = ids.iter().position(|i| *i == id);
                        let value = index.and_then(|i| found.get(i).cloned()).flatten();
                        // A caller that stopped waiting needs no answer.
                        let _ = reply.send(Ok(value));
                    }
                }
                Err(err) => {
                    for (_, reply) in batch {
                        let _ = reply.send(Err(err.clone()));
                    }
                }
            }
        }
    }
}

/// The batched reads of one client.
pub(crate) struct Batches {
    services: Arc<Gather<Service>>,
    deployments: Arc<Gather<ServiceDeployment>>,
    revisions: Memo,
    newest: Memo,
    templates: Memo,
}

type Memo = Cells<Option<Revision>>;

/// Values computed at most once per key by whichever task asks first; the others wait for it.
pub(crate) type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

/// The cell of `key`, made empty on first use.
pub(crate) fn cell<T>(cells: &Cells<T>, key: &str) -> Arc<OnceCell<T>> {
    let mut cells = cells.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(cells.entry(key.to_string()).or_default())
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Batches")
    }
}

impl Batches {
    pub(crate) fn new(window: Duration) -> Batches {
        Batches {
            services: Arc::new(Gather::new(window, SERVICES_PER_CALL)),
            deployments: Arc::new(Gather::new(window, DEPLOYMENTS_PER_CALL)),
            revisions: Mutex::new(HashMap::new()),
            newest: Mutex::new(HashMap::new()),
            templates: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) async fn service(
        &self,
        ecs: &Ecs,
        cluster: &str,
        service: &str,
    ) -> Result<Option<Service>, AwsError> {
        self.services
            .ask(ecs, cluster, service, |ecs, cluster, names| async move {
                ecs.describe_services_now(&cluster, &names).await
            })
            .await
    }

    pub(crate) async fn deployment(
        &self,
        ecs: &Ecs,
        arn: &str,
    ) -> Result<Option<ServiceDeployment>, AwsError> {
        self.deployments
            .ask(ecs, "", arn, |ecs, _, arns| async move {
                ecs.describe_service_deployments_now(&arns).await
            })
            .await
    }

    /// A revision named by its full ARN, described once (revisions never change; a
    /// deregistration within one command is not seen).
    pub(crate) async fn revision(
        &self,
        ecs: &Ecs,
        arn: &str,
    ) -> Result<Option<Revision>, AwsError> {
        cell(&self.revisions, arn)
            .get_or_try_init(|| ecs.describe_task_definition_now(arn))
            .await
            .cloned()
    }

    /// The family's newest ACTIVE revision, read once. A revision the command registers itself
    /// is not seen, and need not be: targets with the same render share one registration.
    pub(crate) async fn newest(
        &self,
        ecs: &Ecs,
        family: &str,
    ) -> Result<Option<Revision>, AwsError> {
        cell(&self.newest, family)
            .get_or_try_init(|| async {
                Ok::<_, AwsError>(
                    ecs.describe_task_definition_now(family)
                        .await?
                        .filter(Revision::is_active),
                )
            })
            .await
            .cloned()
    }

    /// The family's latest template, looked up once: every target of the command renders
    /// from the same template revision, even when Terraform registers another meanwhile.
    pub(crate) async fn template(
        &self,
        ecs: &Ecs,
        family: &str,
    ) -> Result<Option<Revision>, AwsError> {
        cell(&self.templates, family)
            .get_or_try_init(|| ecs.latest_template_now(family))
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ecs() -> Ecs {
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("eu-west-1"))
            .build();
        Ecs::from_client(aws_sdk_ecs::Client::from_conf(config))
    }

    #[tokio::test]
    async fn concurrent_asks_share_calls_of_at_most_the_maximum() {
        let gather: Arc<Gather<String>> = Arc::new(Gather::new(Duration::from_millis(20), 3));
        let calls = Arc::new(AtomicUsize::new(0));
        let ecs = ecs();
        let mut asks = Vec::new();
        for n in 0..7 {
            let gather = Arc::clone(&gather);
            let calls = Arc::clone(&calls);
            let ecs = ecs.clone();
            asks.push(tokio::spawn(async move {
                // Two callers ask for the same id: it is sent once.
                let id = format!("s{}", n.min(5));
                gather
                    .ask(&ecs, "cluster", &id, move |_, _, ids| {
                        let calls = Arc::clone(&calls);
                        async move {
                            calls.fetch_add(1, Ordering::SeqCst);
                            assert!(ids.len() <= 3, "{ids:?}");
                            Ok(ids.iter().map(|id| Some(format!("{id}!"))).collect())
                        }
                    })
                    .await
            }));
        }
        for (n, ask) in asks.into_iter().enumerate() {
            let answer = ask.await.unwrap().unwrap();
            assert_eq!(answer, Some(format!("s{}!", n.min(5))));
        }
        // 6 distinct ids, 3 a call.
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_error_reaches_every_caller_of_the_batch() {
        let gather: Arc<Gather<String>> = Arc::new(Gather::new(Duration::from_millis(20), 10));
        let ecs = ecs();
        let ask = |id: &'static str| {
            let gather = Arc::clone(&gather);
            let ecs = ecs.clone();
            async move {
                gather
                    .ask(&ecs, "c", id, |_, _, _| async {
                        Err::<Vec<Option<String>>, _>(AwsError::Config("no".into()))
                    })
                    .await
            }
        };
        let (a, b) = tokio::join!(ask("a"), ask("b"));
        assert!(a.is_err() && b.is_err());
    }
}
