//! The model catalog: one consistent in-memory world, loaded from the dataset and changed by
//! writes for the life of the run.
//!
//! Every face of the mock (GraphQL, the registry's REST routes, S3) reads and writes this one
//! [`Model`], so what `bucketConfigs` shows, what a search finds and what S3 lists always agree,
//! and a package pushed through GraphQL is at once listed, browsable and searchable. A restart
//! starts from the pristine dataset again.
//!
//! Permissions are the dataset's: a user's *active* role grants `read` or `write` per bucket;
//! admins may administer users, roles, SSO and Tabulator settings. The caller is the `id` claim
//! of the bearer token, or the owner of a Quilt API key (S3: the access key the registry
//! issued); an id or key the dataset does not know is refused with 401, an inactive user with
//! 403, as the registry does.

mod dataset;
mod glacier;
mod objects;
mod packages;
mod users;
mod workflows;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

pub(crate) use dataset::file as dataset_file;
pub use glacier::Restore;
pub use objects::{ListRequest, ListedPage, ObjectVersion, parse_s3_uri};
pub use packages::{Entry, Package, PushEntry, PushParams, Revision, folder as packages_folder};
pub use users::{Access, NewUser, Role, User};

/// The error types of the write rules, for the GraphQL face to turn into typed arms.
pub(crate) mod packages_error {
    pub(crate) use super::packages::PushError;
}
pub(crate) mod users_error {
    pub(crate) use super::users::AdminError;
}

use crate::time::{format_rfc3339, parse_rfc3339};

/// The stack's own settings, as `config.json` reports them.
#[derive(Clone, Debug)]
pub struct Stack {
    pub region: String,
    pub stack_prefix: String,
    pub stack_version: String,
    /// Whether the stack has an analytics bucket (and so a Tabulator data catalog), named in
    /// `config.json`; tests turn it off to model a catalog without Tabulator.
    pub tabulator: bool,
    /// Which registry release the GraphQL face answers as (its schema); tests pick the older
    /// one to prove the server's fallbacks.
    pub release: Release,
    /// How long a Glacier restore takes (S3 takes hours); tests set 0.
    pub restore_delay_secs: i64,
}

/// A registry release with its own GraphQL schema.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Release {
    /// Before the August 2026 search change (and `restoreObject`): `schema/catalog-2026-01.graphql`.
    January2026,
    /// August 2026 and later: `schema/catalog.graphql`.
    #[default]
    August2026,
}

/// A bucket as the catalog configures it.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub icon_url: Option<String>,
    pub overview_url: Option<String>,
    pub relevance_score: i64,
    pub browsable: bool,
    pub last_indexed: Option<i64>,
    /// Tabulator tables: name → YAML configuration, in name order.
    pub tables: BTreeMap<String, String>,
}

/// The SSO configuration and who set it.
#[derive(Clone, Debug)]
pub struct Sso {
    pub text: String,
    pub timestamp: i64,
    pub uploader: String,
}

/// A browsing session: a package revision its owner may read files of without credentials.
#[derive(Clone, Debug)]
pub struct BrowsingSession {
    pub owner: i64,
    pub bucket: String,
    pub package: String,
    pub hash: String,
    pub expires: i64,
}

/// Why the registry refuses a caller before looking at the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, an unreadable one, or a user the catalog does not know: HTTP 401.
    Unauthenticated,
    /// A known user whose account is inactive: HTTP 403.
    Inactive,
}

/// The whole catalog. `Clone` is cheap enough for a fault test: object bytes are shared.
#[derive(Clone, Debug)]
pub struct Model {
    pub stack: Stack,
    pub roles: Vec<Role>,
    pub users: Vec<User>,
    pub buckets: Vec<Bucket>,
    /// Bucket → key → versions, oldest first; the last is the current one.
    pub objects: BTreeMap<String, BTreeMap<String, Vec<ObjectVersion>>>,
    /// (bucket, name) → package.
    pub packages: BTreeMap<(String, String), Package>,
    pub sso: Option<Sso>,
    pub open_query: bool,
    pub sessions: HashMap<String, BrowsingSession>,
    /// Users whose catalog tokens the registry now refuses (401), as after a revocation. The
    /// S3 keys issued to them before still work, as STS keys outlive the session they came from.
    pub revoked: BTreeSet<i64>,
    /// Feeds ids minted during the run (sessions, versions, users), so they never repeat.
    serial: u64,
}

impl Model {
    /// The world the dataset describes, before any write.
    pub fn pristine() -> Result<Model, String> {
        let (catalog, package_files) = dataset::catalog_and_packages()?;
        let default_time = time(&catalog.objects_modified)?;
        let mut model = Model {
            stack: Stack {
                region: catalog.config.region,
                stack_prefix: catalog.config.stack_prefix,
                stack_version: catalog.config.stack_version,
                tabulator: true,
                release: Release::default(),
                restore_delay_secs: 60,
            },
            roles: catalog.roles.into_iter().map(Role::from_file).collect(),
            users: Vec::new(),
            buckets: Vec::new(),
            objects: BTreeMap::new(),
            packages: BTreeMap::new(),
            sso: None,
            open_query: catalog.tabulator_open_query,
            sessions: HashMap::new(),
            revoked: BTreeSet::new(),
            serial: 0,
        };
        for user in catalog.users {
            model.users.push(User::from_file(user)?);
        }
        for bucket in catalog.buckets {
            model.buckets.push(Bucket {
                last_indexed: bucket.last_indexed.as_deref().map(time).transpose()?,
                name: bucket.name,
                title: bucket.title,
                description: bucket.description,
                tags: bucket.tags,
                icon_url: bucket.icon_url,
                overview_url: bucket.overview_url,
                relevance_score: bucket.relevance_score,
                browsable: bucket.browsable,
                tables: bucket
                    .tabulator_tables
                    .into_iter()
                    .map(|t| (t.name, t.config))
                    .collect(),
            });
        }
        if let Some(sso) = catalog.sso_config {
            model.sso = Some(Sso {
                timestamp: time(&sso.timestamp)?,
                text: sso.text,
                uploader: sso.uploader,
            });
        }
        objects::load(
            &mut model,
            default_time,
            &catalog.object_times,
            &catalog.history_times,
        )?;
        for (path, class) in &catalog.archived {
            let (bucket, key) = path
                .split_once('/')
                .ok_or_else(|| format!("archived names {path:?}, not bucket/key"))?;
            if !model.archive(bucket, key, None, class) {
                return Err(format!("archived names {path}, which is not an object"));
            }
        }
        packages::load(&mut model, package_files)?;
        model.check()?;
        Ok(model)
    }

    /// Dataset invariants a typo would break: every role, bucket and uploader named exists.
    fn check(&self) -> Result<(), String> {
        for role in &self.roles {
            for bucket in role.buckets.keys() {
                self.bucket(bucket)
                    .ok_or_else(|| format!("role {} names unknown bucket {bucket}", role.name))?;
            }
        }
        for user in &self.users {
            for role in user.role.iter().chain(&user.extra_roles) {
                self.role(role)
                    .ok_or_else(|| format!("user {} has unknown role {role}", user.name))?;
            }
        }
        for bucket in self.objects.keys() {
            self.bucket(bucket)
                .ok_or_else(|| format!("objects/{bucket} is not a configured bucket"))?;
        }
        Ok(())
    }

    /// The user a token's `id` claim names, if the registry would accept them.
    pub fn caller(&self, id: Option<i64>) -> Result<&User, Refusal> {
        let user = id
            .filter(|id| !self.revoked.contains(id))
            .and_then(|id| self.users.iter().find(|u| u.id == id))
            .ok_or(Refusal::Unauthenticated)?;
        if user.active {
            Ok(user)
        } else {
            Err(Refusal::Inactive)
        }
    }

    /// The user a bearer token names, if the registry would accept them: a Quilt API key
    /// (`qk_…`, opaque) is looked up among the users' keys, anything else is read as a JWT
    /// whose `id` claim is `jwt_id`. A revoked or inactive user is refused either way.
    pub fn caller_by_bearer(
        &self,
        token: Option<&str>,
        jwt_id: Option<i64>,
    ) -> Result<&User, Refusal> {
        match token {
            Some(key) if key.starts_with("qk_") => {
                let owner = self
                    .users
                    .iter()
                    .find(|u| !u.api_key.is_empty() && u.api_key == key);
                self.caller(owner.map(|u| u.id))
            }
            _ => self.caller(jwt_id),
        }
    }

    /// The user S3 credentials were issued to.
    pub fn caller_by_access_key(&self, key: &str) -> Option<&User> {
        self.users.iter().find(|u| u.access_key == key)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn bucket(&self, name: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.name == name)
    }

    /// What `user`'s active role allows on `bucket`, if anything.
    pub fn access(&self, user: &User, bucket: &str) -> Option<Access> {
        let role = self.role(user.role.as_deref()?)?;
        role.buckets.get(bucket).copied()
    }

    pub fn can_read(&self, user: &User, bucket: &str) -> bool {
        self.access(user, bucket).is_some()
    }

    pub fn can_write(&self, user: &User, bucket: &str) -> bool {
        self.access(user, bucket) == Some(Access::Write)
    }

    /// The buckets `user` may read, in configuration order.
    pub fn readable_buckets(&self, user: &User) -> Vec<&Bucket> {
        self.buckets
            .iter()
            .filter(|b| self.can_read(user, &b.name))
            .collect()
    }

    /// A fresh token for ids minted during the run (hex, 32 characters).
    pub fn mint(&mut self, kind: &str) -> String {
        self.serial += 1;
        let digest = sha256_hex(format!("{kind}:{}", self.serial).as_bytes());
        digest[..32].to_string()
    }
}

/// Seconds since the epoch of an RFC 3339 time in the dataset.
fn time(text: &str) -> Result<i64, String> {
    parse_rfc3339(text).ok_or_else(|| format!("dataset time {text:?} is not RFC 3339"))
}

/// A time as the registry's GraphQL `Datetime` writes it: `2026-02-10T18:22:41.532000+00:00`.
pub fn registry_time(unix: i64) -> String {
    let text =
        format_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64));
    // `…:41.000Z` → `…:41.000000+00:00`
    match text.strip_suffix('Z') {
        Some(head) => format!("{head}000+00:00"),
        None => text,
    }
}

/// S3's form: `2026-02-10T18:22:41.000Z`.
pub fn s3_time(unix: i64) -> String {
    format_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64))
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

/// `value` if it is a JSON object, else an empty one.
pub fn object_or_empty(value: &Value) -> Value {
    match value {
        Value::Object(_) => value.clone(),
        _ => Value::Object(serde_json::Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_loads_and_is_consistent() {
        let model = Model::pristine().expect("the dataset loads");
        assert!(model.buckets.len() >= 3);
        assert!(model.users.len() >= 4);
        assert!(model.packages.len() >= 12);
        let largest = model
            .packages
            .values()
            .filter_map(|p| p.latest())
            .map(|r| r.entries.len())
            .max();
        assert!(largest >= Some(300), "{largest:?}");
    }

    #[test]
    fn registry_times_have_microseconds_and_an_offset() {
        assert_eq!(registry_time(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(s3_time(86_400), "1970-01-02T00:00:00.000Z");
    }

    #[test]
    fn callers_are_refused_as_the_registry_does() {
        let model = Model::pristine().expect("the dataset loads");
        assert_eq!(model.caller(None).err(), Some(Refusal::Unauthenticated));
        assert_eq!(
            model.caller(Some(999)).err(),
            Some(Refusal::Unauthenticated)
        );
        let inactive = model
            .users
            .iter()
            .find(|u| !u.active)
            .expect("an inactive user");
        assert_eq!(
            model.caller(Some(inactive.id)).err(),
            Some(Refusal::Inactive)
        );
    }

    #[test]
    fn api_keys_name_their_user_until_revoked() {
        let mut model = Model::pristine().expect("the dataset loads");
        let admin = model
            .users
            .iter()
            .find(|u| u.admin)
            .expect("an admin")
            .clone();
        let found = model.caller_by_bearer(Some(&admin.api_key), None);
        assert_eq!(found.map(|u| u.id), Ok(admin.id));
        let unknown = model.caller_by_bearer(Some("qk_not_a_key"), Some(admin.id));
        assert_eq!(
            unknown.err(),
            Some(Refusal::Unauthenticated),
            "a key is never read as a JWT"
        );
        model.revoked.insert(admin.id);
        let revoked = model.caller_by_bearer(Some(&admin.api_key), None);
        assert_eq!(revoked.err(), Some(Refusal::Unauthenticated));
    }
}
