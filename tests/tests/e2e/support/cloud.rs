//! The cloud's shape for the tests: a fresh table behind the IAM proxy, every route served
//! by its function over that function's own client (docs/cloud.md).

use super::*;

impl TestApp {
    /// The cloud's shape: a fresh table in DynamoDB Local, and in front of it the proxy
    /// that holds every function's calls against its policy in `infra/template.yaml`.
    /// The test's own requests (making members, reading state) go to the table directly,
    /// as an operator's setup would; what a function does goes through
    /// [`TestApp::as_function`].
    pub async fn in_the_cloud() -> Self {
        Self::in_the_cloud_with(Settings::default()).await
    }

    pub async fn in_the_cloud_with(settings: Settings) -> Self {
        let store = fresh_dynamodb_table().await;
        let upstream = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "ap-northeast-1".into());
        let cloud = Cloud::start(&upstream, store.table(), &region).await;
        let dir = tempfile::tempdir().unwrap();
        Self::serve(Arc::new(store), settings, dir, Some(cloud)).await
    }

    /// The AWS configuration the function `name` starts with (retries included), bar
    /// the endpoint: its own of the proxy, for DynamoDB, Secrets Manager and SES alike.
    pub async fn sdk_of(&self, name: &str) -> aws_config::SdkConfig {
        sdk_of(self.cloud(), name).await
    }

    pub fn cloud(&self) -> &Cloud {
        self.cloud
            .as_deref()
            .expect("a test of the functions starts with TestApp::in_the_cloud")
    }

    /// What the function `name` runs on: the test's clock and settings, and a client of
    /// its own that reaches the table through the function's endpoint of the proxy (its
    /// `AWS_ENDPOINT_URL_DYNAMODB`).
    pub async fn as_function(&self, name: &str) -> Context {
        function_context(self.cloud(), &self.ctx, name).await
    }
}

/// The context of the function `name`: `ctx`'s clock and settings, over a client of its
/// own that reaches the table through its endpoint of the proxy.
async fn function_context(cloud: &Cloud, ctx: &Context, name: &str) -> Context {
    use aws_sdk_dynamodb::config::retry::RetryPartition;
    let sdk = sdk_of(cloud, name).await;
    // Each function is a process of its own in AWS, with the SDK's retry budget (its token
    // bucket) to itself; here they share one process, so each gets a partition of its own,
    // lest faults injected into one function's calls spend another's retries.
    let table = cloud.stack().table.clone();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .retry_partition(RetryPartition::new(format!("{table}/{name}")))
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table)
        .with_session_lifetime(ctx.settings.session_lifetime);
    ctx.with_store(Arc::new(store))
}

async fn sdk_of(cloud: &Cloud, name: &str) -> aws_config::SdkConfig {
    let mut sdk = madoguchi_core::config::aws().await.unwrap().into_builder();
    // Without the service-specific settings read from the environment: the test process's
    // AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local itself) would win over this endpoint, and
    // the function's calls would pass the proxy by.
    sdk.set_service_config(Some(NoServiceSettings));
    sdk.endpoint_url(cloud.endpoint(name)).build()
}

/// Service-specific settings: none, whatever the environment says.
#[derive(Debug)]
struct NoServiceSettings;

impl aws_types::service_config::LoadServiceConfig for NoServiceSettings {
    fn load_config(&self, _: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        None
    }
}

/// Every route as the template deploys it: served by the function that serves it (docs/cloud.md), over that function's own client, so that each call is held against that
/// function's policy. The app's own routes (`/openapi.json`, `/healthz`) and unknown paths
/// go to `usage`, as the template sends them.
pub(super) async fn deployed_routes(cloud: &Cloud, state: &AppState) -> axum::Router {
    use madoguchi_core::lambda::Function;
    use tower::ServiceExt as _;
    // (path template's segments, the function's app), `{name}` matching any one segment.
    let mut routes: Vec<(Vec<String>, axum::Router)> = Vec::new();
    let mut usage = None;
    for function in Function::ALL {
        let function_state = AppState::new(
            function_context(cloud, &state.ctx, function.name()).await,
            state.admin_token.clone(),
            state.sealing_key.clone(),
        );
        let served = app(function.operations(), function_state);
        let (_, api) = function.operations().split_for_parts();
        for path in api.paths.paths.keys() {
            let segments = path.split('/').map(str::to_owned).collect();
            routes.push((segments, served.clone()));
        }
        if function == Function::Usage {
            usage = Some(served);
        }
    }
    let usage = usage.expect("usage serves the app's own routes");
    let dispatch = tower::service_fn(move |request: axum::extract::Request| {
        let path: Vec<&str> = request.uri().path().split('/').collect();
        let serving = routes
            .iter()
            .find(|(template, _)| {
                template.len() == path.len()
                    && template
                        .iter()
                        .zip(&path)
                        .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
            })
            .map_or(&usage, |(_, router)| router)
            .clone();
        serving.oneshot(request)
    });
    axum::Router::new().fallback_service(dispatch)
}
