//! Application state: every client and service is built once at start-up and shared.

use super::headers::WebPolicy;
use crate::auth::account::AccountService;
use crate::auth::cognito::{CognitoClient, IdentityProvider};
use crate::auth::directory::Directory;
use crate::auth::jwks::JwksCache;
use crate::auth::lockout::LockoutStore;
use crate::auth::oidc::HostedFlow;
use crate::auth::refresh::Refresher;
use crate::auth::session::keeper::{SessionKeeper, SessionPolicy};
use crate::auth::session::store::DynamoSessionStore;
use crate::auth::signin::SignInService;
use crate::auth::signing::Signer;
use crate::auth::tokens::TokenVerifier;
use crate::config::Config;
use crate::events::sink::EventSink;
use crate::events::store::EventStore;
use crate::support::clock::{system_clock, Clock};
use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    /// Behind an `Arc`: the state is cloned for every middleware of every request.
    pub leptos_options: Arc<LeptosOptions>,
    pub svc: Arc<Services>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}

pub struct Services {
    pub config: Config,
    pub signer: Signer,
    pub sign_in: Arc<SignInService>,
    pub accounts: AccountService,
    pub jwks: Arc<JwksCache>,
    /// Where the metrics listener is bound (`METRICS_ADDR`, its port resolved), when on.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// ALB mode: the verifier of the load balancer's headers.
    pub alb: Option<Arc<crate::auth::alb::AlbVerifier>>,
    /// Who calls the JSON API (`/api/v1/`): bearer access tokens.
    pub bearer: Arc<crate::auth::bearer::BearerAuth>,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sessions: DynamoSessionStore,
    pub session_policy: SessionPolicy,
    /// Reads the signed-in user: timeouts, revocation, token refresh.
    pub keeper: SessionKeeper,
    pub clock: Clock,
    /// The Hosted UI flow, when `COGNITO_DOMAIN` is configured.
    pub hosted: Option<HostedFlow>,
    /// The admin console's view of the user pool.
    pub directory: Directory,
    /// Reads of the events table (dashboard, reports, audit log).
    pub event_store: EventStore,
    /// Writes to the events table, through a bounded queue.
    pub events: EventSink,
    /// The dashboard's reads of a user's activity (recent events, the chart's days), kept for
    /// `ACTIVITY_CACHE_SECS`: new events show within that time. Past half of it a view is
    /// still answered from here while one background read refreshes it (stale-while-
    /// revalidate), so a cached view does not wait on the store.
    pub activity: Arc<crate::support::cache::TtlCache<String, Activity>>,
    /// Rendered dashboards, kept for `PAGE_CACHE_SECS` per session and session state.
    pub pages: super::page_cache::PageCache,
    /// Cookie names, the page policy, HSTS, the same-site rule for posts.
    pub web: Arc<WebPolicy>,
    /// `/readyz`'s dependency check, at most one a second.
    pub readiness: super::readiness::Readiness,
    /// The identity pool (temporary AWS credentials per user), when configured.
    pub identity_pool: Option<crate::auth::identity_pool::IdentityPool>,
    /// The profile picture (identity pool and `AVATARS_BUCKET` configured).
    pub pictures: Option<crate::personal::picture::Pictures>,
    /// Preferences (identity pool and `PREFERENCES_TABLE` configured).
    pub preferences: Option<crate::personal::preferences::PreferencesStore>,
}

/// What the dashboard shows of a user's activity: the recent rows and the chart.
pub type Activity = (Vec<crate::model::EventRow>, crate::model::BarChart);

impl AppState {
    /// Builds the AWS clients (endpoint overrides for the local stand-ins) and services.
    /// Nothing here calls AWS: a dependency that is down shows up in `/readyz` and as a clear
    /// error page, not as a start-up crash.
    pub async fn build(config: Config, leptos_options: LeptosOptions) -> AppState {
        AppState::build_with_clock(config, leptos_options, system_clock()).await
    }

    /// As [`AppState::build`], with the clock that decides timeouts and locks (tests move it).
    pub async fn build_with_clock(
        config: Config,
        leptos_options: LeptosOptions,
        clock: Clock,
    ) -> AppState {
        let shared = aws_sdk_config(&config).await;
        let cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(
            cognito_config(&shared, &config).build(),
        );
        let dynamo = aws_sdk_dynamodb::Client::from_conf(dynamodb_config(&shared, &config).build());
        let directory = Directory::new(cognito.clone(), config.user_pool_id.clone());
        let event_store = EventStore::new(
            dynamo.clone(),
            config.events_table.clone(),
            config.events_retention,
        );
        let events = EventSink::start(event_store.clone(), config.event_queue_capacity);
        let config_activity = config.activity_cache;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let jwks = Arc::new(JwksCache::new(config.jwks_url(), http.clone()));
        let verifier = Arc::new(TokenVerifier::new(
            config.issuer.clone(),
            config.client_id.clone(),
            jwks.clone(),
        ));
        let idp: Arc<dyn IdentityProvider> = Arc::new(
            CognitoClient::new(
                cognito,
                config.client_id.clone(),
                config.client_secret.clone(),
            )
            .with_user_pool(config.user_pool_id.clone()),
        );
        let accounts =
            AccountService::new(idp.clone()).with_answer_floor(config.account_answer_floor);
        let lockout = LockoutStore::new(
            dynamo.clone(),
            config.lockout_table.clone(),
            config.lockout.clone(),
            clock.clone(),
        );
        let sign_in = Arc::new(
            SignInService::new(idp, verifier, lockout, clock.clone())
                .with_lockout_mode(config.lockout_mode),
        );
        // The store's expiry backstop uses real time, as tower-sessions does when it stamps
        // records; the idle/absolute policy runs on `clock`.
        let sessions = DynamoSessionStore::new(dynamo.clone(), config.sessions_table.clone())
            .with_cache(config.session_cache, 10_000);
        let session_policy = SessionPolicy {
            idle: config.session_idle_timeout,
            absolute: config.session_absolute_timeout,
        };
        let keeper = SessionKeeper {
            policy: session_policy.clone(),
            store: sessions.clone(),
            refresher: Refresher::new(sign_in.clone(), config.token_refresh_margin),
            groups_max_age: config.groups_max_age.as_secs() as i64,
            alb_mode: config.alb.is_some(),
            alb_markers: crate::support::cache::TtlCache::new(
                Duration::from_secs(session_policy.touch_interval().max(0) as u64),
                10_000,
            ),
        };
        let alb = config.alb.as_ref().map(|settings| {
            Arc::new(crate::auth::alb::AlbVerifier::new(
                settings,
                &config.issuer,
                http.clone(),
                // The load balancer's app client issued the access tokens it forwards.
                TokenVerifier::new(
                    config.issuer.clone(),
                    settings.client_id.clone(),
                    jwks.clone(),
                )
                .with_clock(clock.clone()),
                clock.clone(),
            ))
        });
        let hosted = config.hosted.as_ref().and_then(|h| {
            if h.relax_nonce {
                tracing::warn!("DEV_RELAX_NONCE is on: ID tokens without a nonce are accepted (local development only)");
            }
            HostedFlow::new(h, &config.client_id, config.client_secret.as_ref())
                .map_err(|e| tracing::error!(error = %e, "hosted sign-in disabled"))
                .ok()
        });
        let web = Arc::new(WebPolicy::new(&config, hosted.as_ref()));
        let readiness = super::readiness::Readiness::new(
            dynamo.clone(),
            config.sessions_table.clone(),
            jwks.clone(),
        );
        let pages = super::page_cache::PageCache::new(config.page_cache, web.clone());
        // The identity pool trades the ID token, which the load balancer does not forward.
        if config.alb.is_some() && config.identity_pool.is_some() {
            tracing::warn!("AUTH_MODE=alb: the identity pool needs ID tokens, which the load balancer does not forward; pictures and preferences are off");
        }
        let identity_pool = config
            .identity_pool
            .as_ref()
            .filter(|_| config.alb.is_none())
            .map(|settings| {
                // The pool's own region (its id's prefix), which may differ from the user pool's.
                let mut builder = aws_sdk_cognitoidentity::config::Builder::from(&shared)
                    .region(Region::new(settings.region().to_string()));
                builder.set_endpoint_url(settings.endpoint.clone());
                crate::auth::identity_pool::IdentityPool::new(
                    aws_sdk_cognitoidentity::Client::from_conf(builder.build()),
                    settings,
                    &config.region,
                    &config.user_pool_id,
                    clock.clone(),
                )
            });
        // The user's own S3 and DynamoDB clients start from these (each call adds the user's
        // credentials): the app's region, timeouts and HTTP client; the local stack's moto
        // serves S3 on one port, so path-style addressing there.
        let personal = config
            .identity_pool
            .as_ref()
            .filter(|_| identity_pool.is_some());
        let pictures = personal.and_then(|settings| {
            let bucket = settings.avatars_bucket.clone()?;
            let mut builder = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(settings.s3_endpoint.is_some());
            builder.set_endpoint_url(settings.s3_endpoint.clone());
            Some(crate::personal::picture::Pictures::new(
                bucket,
                builder.build(),
            ))
        });
        let preferences = personal.and_then(|settings| {
            let table = settings.preferences_table.clone()?;
            Some(crate::personal::preferences::PreferencesStore::new(
                table,
                dynamodb_config(&shared, &config).build(),
                config.activity_cache,
            ))
        });
        // Metrics on their own listener (never the public port), bound before anything serves.
        let metrics_addr = match config.metrics_addr {
            None => None,
            Some(addr) => super::metrics::serve(addr)
                .await
                .map_err(|e| tracing::error!(error = %e, "metrics not served"))
                .ok(),
        };
        // The API's tokens are judged on the app's clock (tests move it past their expiry).
        let bearer = Arc::new(crate::auth::bearer::BearerAuth::new(
            TokenVerifier::new(
                config.issuer.clone(),
                config.client_id.clone(),
                jwks.clone(),
            )
            .with_clock(clock.clone()),
            sessions.clone(),
            directory.clone(),
        ));
        AppState {
            leptos_options: Arc::new(leptos_options),
            svc: Arc::new(Services {
                hosted,
                signer: Signer::new(config.app_secret.clone()),
                config,
                sign_in,
                accounts,
                jwks,
                bearer,
                alb,
                metrics_addr,
                dynamo,
                sessions,
                session_policy,
                keeper,
                clock,
                directory,
                event_store,
                events,
                activity: Arc::new(crate::support::cache::TtlCache::new(
                    config_activity,
                    10_000,
                )),
                pages,
                web,
                readiness,
                identity_pool,
                pictures,
                preferences,
            }),
        }
    }
}

/// The AWS SDK's shared settings: region; timeouts that fit a person waiting (each attempt
/// and the whole call, [`crate::config::AwsTimeouts`]); two attempts with a short backoff,
/// in the standard retry mode whose token bucket is the retry budget (during an outage
/// retries run out and calls fail at their first timeout); credentials from the default chain.
pub async fn aws_sdk_config(config: &Config) -> aws_config::SdkConfig {
    let timeouts = config.aws_timeouts;
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeouts.attempt)
                .read_timeout(timeouts.attempt)
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_millis(200)),
        )
        .load()
        .await
}

/// The Cognito client settings, with the endpoint override of the local stack if set.
pub fn cognito_config(
    shared: &aws_config::SdkConfig,
    config: &Config,
) -> aws_sdk_cognitoidentityprovider::config::Builder {
    let mut builder = aws_sdk_cognitoidentityprovider::config::Builder::from(shared)
        .interceptor(super::metrics::AwsCallMetrics);
    builder.set_endpoint_url(config.cognito_endpoint.clone());
    builder
}

/// The DynamoDB client settings, with the endpoint override of the local stack if set.
pub fn dynamodb_config(
    shared: &aws_config::SdkConfig,
    config: &Config,
) -> aws_sdk_dynamodb::config::Builder {
    let mut builder =
        aws_sdk_dynamodb::config::Builder::from(shared).interceptor(super::metrics::AwsCallMetrics);
    builder.set_endpoint_url(config.dynamodb_endpoint.clone());
    builder
}
