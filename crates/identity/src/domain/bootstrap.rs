//! First-start bootstrap, safe to run at every start: the default domain, the admin,
//! service and demo projects, the admin and demo users, the standard roles with their
//! implications, the region, and the catalog entries of every service this binary
//! serves (kept pointing at where they are served now).

use serde_json::{Map, Value};

use super::{Identity, Result};
use crate::store::{
    ActorType, AssignmentRow, DomainRow, EndpointRow, ProjectRow, RegionRow, RegisteredLimitRow, RoleRow, ServiceRow, TargetType, UserRow,
};

/// The id of the default domain, as in Keystone.
pub const DEFAULT_DOMAIN_ID: &str = "default";

/// A service the binary serves, to put in the catalog.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Service type (`identity`, `compute`, ...).
    pub service_type: String,
    /// Service name (`keystone`, `nova`, ...).
    pub name: String,
    /// The URL of all three interfaces.
    pub url: String,
    /// Registered limits (resource name, default) to create in the bootstrap region
    /// with the service. Only a new service gets them, so that an operator's deleted
    /// or changed defaults stay as the operator left them.
    pub registered_limits: Vec<(String, i64)>,
}

/// What to bootstrap.
#[derive(Debug, Clone)]
pub struct BootstrapSpec {
    /// The admin password to set; `None` keeps an existing admin's and generates one
    /// for a new admin.
    pub admin_password: Option<String>,
    /// The region to create.
    pub region: String,
    /// The catalog entries.
    pub services: Vec<ServiceSpec>,
    /// The users the cloud's own services act as, in project `service` with role
    /// `service`.
    pub service_users: Vec<ServiceUser>,
}

/// A service's own user (nova's, to call placement).
#[derive(Clone)]
pub struct ServiceUser {
    /// The user name.
    pub name: String,
    /// Its password.
    pub password: String,
    /// Set the password even when the user exists (it was newly generated).
    pub reset: bool,
}

impl std::fmt::Debug for ServiceUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceUser").field("name", &self.name).field("password", &"***").field("reset", &self.reset).finish()
    }
}

/// What a bootstrap did.
#[derive(Debug, Clone, Default)]
pub struct BootstrapOutcome {
    /// Passwords it set, by user name, for the client configuration it writes;
    /// identity itself keeps only their hashes.
    pub passwords: Vec<(String, String)>,
    /// The users whose password it generated, to be shown once; a password the
    /// operator gave is never echoed back.
    pub generated: Vec<String>,
    /// Whether this was the first bootstrap.
    pub first: bool,
}

/// A random password of 24 URL-safe characters.
pub fn generate_password() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>())
}

fn new_user(name: &str, default_project_id: &str) -> UserRow {
    UserRow {
        id: common::ids::hex_id(),
        name: name.to_owned(),
        domain_id: DEFAULT_DOMAIN_ID.to_owned(),
        enabled: true,
        default_project_id: Some(default_project_id.to_owned()),
        extra: Map::new(),
        options: Map::new(),
        created_at: common::time::now_micros(),
        last_active_at: None,
        failed_auth_count: 0,
        failed_auth_at: None,
    }
}

impl Identity {
    async fn ensure_role(&self, name: &str) -> Result<RoleRow> {
        if let Some(r) = self.store.list_roles().await?.into_iter().find(|r| r.name == name && r.domain_id.is_none()) {
            return Ok(r);
        }
        let role = RoleRow { id: common::ids::hex_id(), name: name.to_owned(), domain_id: None, description: None, options: Map::new() };
        self.store.create_role(&role).await?;
        Ok(role)
    }

    async fn ensure_project(&self, name: &str, description: &str) -> Result<ProjectRow> {
        if let Some(p) = self.store.get_project_by_name(DEFAULT_DOMAIN_ID, name).await? {
            return Ok(p);
        }
        let project = ProjectRow {
            id: common::ids::hex_id(),
            name: name.to_owned(),
            domain_id: DEFAULT_DOMAIN_ID.to_owned(),
            parent_id: None,
            description: Some(description.to_owned()),
            enabled: true,
            tags: Vec::new(),
            extra: Map::new(),
        };
        self.store.create_project(&project).await?;
        Ok(project)
    }

    /// Ensures a user exists; sets `password` when given, or a generated one for a new
    /// user. Returns the user and the password it set.
    async fn ensure_user(&self, name: &str, project: &ProjectRow, password: Option<String>) -> Result<(UserRow, Option<String>, bool)> {
        let existing = self.store.get_user_by_name(DEFAULT_DOMAIN_ID, name).await?;
        let generated = existing.is_none() && password.is_none();
        let password = match (&existing, password) {
            (_, Some(p)) => Some(p),
            (None, None) => Some(generate_password()),
            (Some(_), None) => None,
        };
        let hashed = match &password {
            Some(p) => Some(crate::store::PasswordRow {
                hash: self.hash_secret(p).await?,
                created_at: common::time::now_micros(),
                expires_at: None,
                self_service: false,
            }),
            None => None,
        };
        let user = match existing {
            Some(mut user) => {
                if hashed.is_some() {
                    user.enabled = true;
                    user.failed_auth_count = 0;
                    self.store.update_user(&user, hashed.as_ref()).await?;
                }
                user
            }
            None => {
                let user = new_user(name, &project.id);
                self.store.create_user(&user, hashed.as_ref()).await?;
                user
            }
        };
        Ok((user, password, generated))
    }

    async fn ensure_grant(&self, user: &UserRow, target_type: TargetType, target_id: &str, role: &RoleRow) -> Result<()> {
        let a = AssignmentRow {
            actor_type: ActorType::User,
            actor_id: user.id.clone(),
            target_type,
            target_id: target_id.to_owned(),
            role_id: role.id.clone(),
            inherited: false,
        };
        self.store.create_assignment(&a).await?;
        Ok(())
    }

    async fn ensure_service(&self, spec: &ServiceSpec, region: &str) -> Result<()> {
        let services = self.store.list_services().await?;
        let service = match services.into_iter().find(|s| s.service_type == spec.service_type) {
            Some(s) => s,
            None => {
                let mut extra = Map::new();
                extra.insert("name".into(), Value::from(spec.name.clone()));
                let s = ServiceRow { id: common::ids::hex_id(), service_type: spec.service_type.clone(), enabled: true, extra };
                self.store.create_service(&s).await?;
                let limits: Vec<RegisteredLimitRow> = spec
                    .registered_limits
                    .iter()
                    .map(|(resource, default)| RegisteredLimitRow {
                        id: common::ids::hex_id(),
                        service_id: s.id.clone(),
                        region_id: Some(region.to_owned()),
                        resource_name: resource.clone(),
                        default_limit: *default,
                        description: None,
                    })
                    .collect();
                self.store.create_registered_limits(&limits).await?;
                s
            }
        };
        let endpoints = self.store.list_endpoints().await?;
        for interface in super::catalog::INTERFACES {
            let found =
                endpoints.iter().find(|e| e.service_id == service.id && e.interface == interface && e.region_id.as_deref() == Some(region));
            match found {
                Some(e) if e.url == spec.url => {}
                Some(e) => self.store.update_endpoint(&EndpointRow { url: spec.url.clone(), ..e.clone() }).await?,
                None => {
                    self.store
                        .create_endpoint(&EndpointRow {
                            id: common::ids::hex_id(),
                            service_id: service.id.clone(),
                            interface: interface.to_owned(),
                            url: spec.url.clone(),
                            region_id: Some(region.to_owned()),
                            enabled: true,
                            extra: Map::new(),
                        })
                        .await?
                }
            }
        }
        Ok(())
    }

    /// Runs the bootstrap.
    pub async fn bootstrap(&self, spec: &BootstrapSpec) -> Result<BootstrapOutcome> {
        let mut outcome = BootstrapOutcome::default();
        if self.store.get_domain(DEFAULT_DOMAIN_ID).await?.is_none() {
            outcome.first = true;
            self.store
                .create_domain(&DomainRow {
                    id: DEFAULT_DOMAIN_ID.to_owned(),
                    name: "Default".to_owned(),
                    description: Some("The default domain".to_owned()),
                    enabled: true,
                    extra: Map::new(),
                })
                .await?;
        }
        let admin_role = self.ensure_role("admin").await?;
        let member_role = self.ensure_role("member").await?;
        let reader_role = self.ensure_role("reader").await?;
        let service_role = self.ensure_role("service").await?;
        self.store.create_implied_role(&admin_role.id, &member_role.id).await?;
        self.store.create_implied_role(&member_role.id, &reader_role.id).await?;

        let admin_project = self.ensure_project("admin", "Bootstrap project for initializing the cloud.").await?;
        let service_project = self.ensure_project("service", "Project for the cloud's own service users.").await?;
        let demo_project = self.ensure_project("demo", "A project for trying the cloud as an ordinary user.").await?;

        let (admin, admin_password, generated) = self.ensure_user("admin", &admin_project, spec.admin_password.clone()).await?;
        outcome.passwords.extend(admin_password.map(|p| ("admin".to_owned(), p)));
        if generated {
            outcome.generated.push("admin".to_owned());
        }
        self.ensure_grant(&admin, TargetType::Project, &admin_project.id, &admin_role).await?;
        self.ensure_grant(&admin, TargetType::Project, &demo_project.id, &admin_role).await?;
        self.ensure_grant(&admin, TargetType::System, "all", &admin_role).await?;
        if self.store.get_user_by_name(DEFAULT_DOMAIN_ID, "demo").await?.is_none() {
            let (demo, demo_password, _) = self.ensure_user("demo", &demo_project, None).await?;
            outcome.passwords.extend(demo_password.map(|p| ("demo".to_owned(), p)));
            outcome.generated.push("demo".to_owned());
            self.ensure_grant(&demo, TargetType::Project, &demo_project.id, &member_role).await?;
        }

        for su in &spec.service_users {
            let exists = self.store.get_user_by_name(DEFAULT_DOMAIN_ID, &su.name).await?.is_some();
            if !exists || su.reset {
                let (user, _, _) = self.ensure_user(&su.name, &service_project, Some(su.password.clone())).await?;
                self.ensure_grant(&user, TargetType::Project, &service_project.id, &service_role).await?;
            }
        }

        if self.store.get_region(&spec.region).await?.is_none() {
            self.store
                .create_region(&RegionRow {
                    id: spec.region.clone(),
                    description: String::new(),
                    parent_region_id: None,
                    extra: Map::new(),
                })
                .await?;
        }
        for service in &spec.services {
            self.ensure_service(service, &spec.region).await?;
        }
        self.changed();
        Ok(outcome)
    }
}
