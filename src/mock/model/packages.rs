//! Packages and their revisions: loading them, reading them as the registry does (by hash or
//! tag, by folder, by file), and the push and delete mutations.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::dataset::PackageFile;
use super::{Model, parse_s3_uri, sha256_hex, time};
use crate::time::unix_now;

/// One file of a revision.
#[derive(Clone, Debug)]
pub struct Entry {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub meta: Value,
}

impl Entry {
    /// `s3://bucket/key?versionId=…`, as manifests and GraphQL write physical keys.
    pub fn physical_key(&self) -> String {
        match &self.version_id {
            Some(v) => format!("s3://{}/{}?versionId={v}", self.bucket, self.key),
            None => format!("s3://{}/{}", self.bucket, self.key),
        }
    }
}

/// One revision (a manifest).
#[derive(Clone, Debug)]
pub struct Revision {
    pub hash: String,
    pub modified: i64,
    pub message: Option<String>,
    pub user_meta: Value,
    pub workflow: Option<Value>,
    /// Logical key → entry, in key order.
    pub entries: BTreeMap<String, Entry>,
}

impl Revision {
    pub fn total_bytes(&self) -> u64 {
        self.entries.values().map(|e| e.size).sum()
    }

    /// The manifest's top-level metadata, as `PackageRevision.metadata` shows it.
    pub fn metadata(&self) -> Value {
        json!({
            "version": "v0",
            "message": self.message,
            "user_meta": self.user_meta,
            "workflow": self.workflow,
        })
    }

    /// The top hash: SHA-256 over the message, metadata and every entry, as Quilt hashes a
    /// manifest (not byte-for-byte Quilt's, but the same inputs, so equal content, equal hash).
    fn compute_hash(&self) -> String {
        let mut text = format!(
            "{}\n{}\n",
            self.message.as_deref().unwrap_or_default(),
            self.user_meta
        );
        for (key, entry) in &self.entries {
            text.push_str(&format!(
                "{key}\t{}\t{}\t{}\n",
                entry.sha256, entry.size, entry.meta
            ));
        }
        sha256_hex(text.as_bytes())
    }
}

/// A package: its revisions, oldest first, and its named tags.
#[derive(Clone, Debug)]
pub struct Package {
    pub bucket: String,
    pub name: String,
    pub revisions: Vec<Revision>,
    /// Tag → top hash, besides `latest`, which is always the newest revision.
    pub tags: BTreeMap<String, String>,
}

impl Package {
    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    pub fn modified(&self) -> i64 {
        self.latest().map(|r| r.modified).unwrap_or(0)
    }

    /// A revision by `latest`, a tag, a full top hash or an unambiguous prefix of one (7+).
    pub fn revision(&self, hash_or_tag: &str) -> Option<&Revision> {
        if hash_or_tag == "latest" {
            return self.latest();
        }
        if let Some(hash) = self.tags.get(hash_or_tag) {
            return self.revisions.iter().find(|r| &r.hash == hash);
        }
        if let Some(exact) = self.revisions.iter().find(|r| r.hash == hash_or_tag) {
            return Some(exact);
        }
        if hash_or_tag.len() < 7 {
            return None;
        }
        let mut matching = self
            .revisions
            .iter()
            .filter(|r| r.hash.starts_with(hash_or_tag));
        match (matching.next(), matching.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// Newest first, as the registry pages revisions.
    pub fn revisions_newest_first(&self) -> impl Iterator<Item = &Revision> {
        self.revisions.iter().rev()
    }
}

/// What a folder of a revision holds: files directly in it, and sub-folders with their sizes.
#[derive(Clone, Debug, Default)]
pub struct Folder {
    /// `results/` style path ("" for the root).
    pub path: String,
    pub size: u64,
    pub files: Vec<(String, Entry)>,
    /// (path with trailing `/`, total size)
    pub dirs: Vec<(String, u64)>,
}

/// A revision's folder at `path` (with or without a trailing `/`), or `None` if no entry is
/// under it.
pub fn folder(revision: &Revision, path: &str) -> Option<Folder> {
    let trimmed = path.trim_matches('/');
    let prefix = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    };
    let mut out = Folder {
        path: prefix.clone(),
        ..Folder::default()
    };
    let mut dirs: BTreeMap<String, u64> = BTreeMap::new();
    let mut any = false;
    for (key, entry) in revision.entries.range(prefix.clone()..) {
        let Some(rest) = key.strip_prefix(&prefix) else {
            break;
        };
        any = true;
        out.size += entry.size;
        match rest.split_once('/') {
            Some((dir, _)) => *dirs.entry(format!("{prefix}{dir}/")).or_default() += entry.size,
            None => out.files.push((key.clone(), entry.clone())),
        }
    }
    out.dirs = dirs.into_iter().collect();
    any.then_some(out)
}

/// The parameters of a push, as `PackagePushParams` carries them.
#[derive(Clone, Debug, Default)]
pub struct PushParams {
    pub bucket: String,
    pub name: String,
    pub message: Option<String>,
    pub user_meta: Value,
    pub workflow: Option<String>,
}

/// One entry of `packageConstruct`'s source.
#[derive(Clone, Debug)]
pub struct PushEntry {
    pub logical_key: String,
    pub physical_key: String,
    pub meta: Value,
}

/// Why a push did not happen: `InvalidInput` (path, name, message) or `OperationError`.
#[derive(Clone, Debug, PartialEq)]
pub enum PushError {
    Invalid(String, &'static str, String),
    Failed(&'static str, String),
}

/// Quilt's package name rule: `namespace/name`, each part `[\w-]+` (dots allowed in the name).
pub fn valid_package_name(name: &str) -> bool {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    matches!(name.split_once('/'), Some((ns, n)) if part_ok(ns) && part_ok(n) && !n.contains('/'))
}

pub(super) fn load(model: &mut Model, files: Vec<PackageFile>) -> Result<(), String> {
    for file in files {
        let mut package = Package {
            bucket: file.bucket.clone(),
            name: file.name.clone(),
            revisions: Vec::new(),
            tags: BTreeMap::new(),
        };
        for rev in file.revisions {
            let mut entries = BTreeMap::new();
            for (logical, object) in &rev.entries {
                let entry =
                    model.dataset_entry(&file.bucket, object, rev.entry_meta.get(logical))?;
                entries.insert(logical.clone(), entry);
            }
            for under in &rev.entries_under {
                let keys: Vec<String> = model
                    .objects
                    .get(&file.bucket)
                    .map(|b| {
                        b.keys()
                            .filter(|k| k.starts_with(&under.object_prefix))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                for key in keys {
                    let logical = format!(
                        "{}{}",
                        under.logical_prefix,
                        &key[under.object_prefix.len()..]
                    );
                    let entry =
                        model.dataset_entry(&file.bucket, &key, rev.entry_meta.get(&logical))?;
                    entries.insert(logical, entry);
                }
            }
            let mut revision = Revision {
                hash: String::new(),
                modified: time(&rev.modified)?,
                message: Some(rev.message),
                user_meta: rev.user_meta,
                workflow: rev.workflow,
                entries,
            };
            revision.hash = revision.compute_hash();
            for tag in rev.tags {
                package.tags.insert(tag, revision.hash.clone());
            }
            package.revisions.push(revision);
        }
        if package
            .revisions
            .windows(2)
            .any(|w| w[0].modified >= w[1].modified)
        {
            return Err(format!(
                "package {}: revisions are not oldest first",
                file.name
            ));
        }
        model.packages.insert((file.bucket, file.name), package);
    }
    Ok(())
}

impl Model {
    /// An entry for `object` (`key` or `key@n`) of the dataset.
    fn dataset_entry(
        &self,
        bucket: &str,
        object: &str,
        meta: Option<&Value>,
    ) -> Result<Entry, String> {
        let (key, n) = match object.rsplit_once('@') {
            Some((key, n)) => (key, n.parse::<usize>().ok()),
            None => (object, None),
        };
        let versions = self
            .objects
            .get(bucket)
            .and_then(|b| b.get(key))
            .ok_or_else(|| {
                format!("a package names s3://{bucket}/{key}, which is not in objects/")
            })?;
        let version = match n {
            Some(n) => versions
                .get(n - 1)
                .ok_or_else(|| format!("no version {n} of {bucket}/{key}"))?,
            None => versions
                .last()
                .ok_or_else(|| format!("{bucket}/{key} has no version"))?,
        };
        Ok(Entry {
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id: Some(version.version_id.clone()),
            size: version.size(),
            sha256: sha256_hex(&version.bytes),
            meta: meta.cloned().unwrap_or_else(|| json!({})),
        })
    }

    pub fn package(&self, bucket: &str, name: &str) -> Option<&Package> {
        self.packages.get(&(bucket.to_string(), name.to_string()))
    }

    /// Checks a push as the registry does; answers the workflow the revision records.
    fn check_push(&self, params: &PushParams) -> Result<Option<Value>, PushError> {
        if self.bucket(&params.bucket).is_none() {
            return Err(PushError::Failed(
                "BucketNotFound",
                format!("Bucket {} is not in this stack", params.bucket),
            ));
        }
        if !valid_package_name(&params.name) {
            return Err(PushError::Invalid(
                "params.name".into(),
                "InvalidPackageName",
                format!(
                    "{:?} is not a valid package name: use namespace/name",
                    params.name
                ),
            ));
        }
        if !params.user_meta.is_null() && !params.user_meta.is_object() {
            return Err(PushError::Invalid(
                "params.userMeta".into(),
                "InvalidUserMeta",
                "user metadata must be a JSON object".into(),
            ));
        }
        self.judge_workflow(params)
    }

    /// Adds `revision` to the package (creating it), unless the newest already has its hash.
    fn add_revision(&mut self, bucket: &str, name: &str, mut revision: Revision) -> String {
        revision.hash = revision.compute_hash();
        let hash = revision.hash.clone();
        let package = self
            .packages
            .entry((bucket.to_string(), name.to_string()))
            .or_insert_with(|| Package {
                bucket: bucket.to_string(),
                name: name.to_string(),
                revisions: Vec::new(),
                tags: BTreeMap::new(),
            });
        // The same content again makes the same manifest: it becomes `latest` once more.
        package.revisions.retain(|r| r.hash != hash);
        let newest = package.modified();
        revision.modified = revision.modified.max(newest + 1);
        package.revisions.push(revision);
        hash
    }

    /// The user a push or delete is made for (the registry has already accepted them).
    fn pusher(&self, caller_id: i64) -> Result<super::User, PushError> {
        let user = self.users.iter().find(|u| u.id == caller_id).cloned();
        user.ok_or_else(|| PushError::Failed("Forbidden", "unknown caller".into()))
    }

    /// `packageConstruct` by `caller_id`: a revision made of existing objects.
    pub fn construct(
        &mut self,
        caller_id: i64,
        params: PushParams,
        entries: Vec<PushEntry>,
    ) -> Result<String, PushError> {
        let workflow = self.check_push(&params)?;
        let user = self.pusher(caller_id)?;
        if !self.can_write(&user, &params.bucket) {
            return Err(PushError::Failed(
                "Forbidden",
                format!("{} may not write to s3://{}", user.name, params.bucket),
            ));
        }
        if entries.is_empty() {
            return Err(PushError::Invalid(
                "src.entries".into(),
                "EmptyPackage",
                "a package needs at least one entry".into(),
            ));
        }
        let mut files = BTreeMap::new();
        for (i, given) in entries.into_iter().enumerate() {
            let path = format!("src.entries.{i}.physicalKey");
            let invalid = |name, message| PushError::Invalid(path.clone(), name, message);
            let Some((bucket, key, version)) = parse_s3_uri(&given.physical_key) else {
                return Err(invalid(
                    "InvalidS3PhysicalKey",
                    format!("{} is not an s3:// URL", given.physical_key),
                ));
            };
            if given.logical_key.is_empty()
                || given.logical_key.ends_with('/')
                || given.logical_key.split('/').any(|p| p == ".." || p == ".")
            {
                return Err(PushError::Invalid(
                    format!("src.entries.{i}.logicalKey"),
                    "InvalidLogicalKey",
                    format!("{:?} is not a valid logical key", given.logical_key),
                ));
            }
            if !self.can_read(&user, &bucket) {
                return Err(PushError::Failed(
                    "Forbidden",
                    format!("{} may not read s3://{bucket}", user.name),
                ));
            }
            let Some(object) = self.object(&bucket, &key, version.as_deref()) else {
                return Err(invalid(
                    "ObjectNotFound",
                    format!("{} does not exist", given.physical_key),
                ));
            };
            let entry = Entry {
                version_id: Some(object.version_id.clone()),
                size: object.size(),
                sha256: sha256_hex(&object.bytes),
                bucket,
                key,
                meta: if given.meta.is_object() {
                    given.meta
                } else {
                    json!({})
                },
            };
            files.insert(given.logical_key, entry);
        }
        let revision = Revision {
            hash: String::new(),
            modified: unix_now(),
            message: params.message,
            user_meta: params.user_meta,
            workflow,
            entries: files,
        };
        Ok(self.add_revision(&params.bucket, &params.name, revision))
    }

    /// `packagePromote`: copies a revision's files into the destination bucket under
    /// `dest_prefix` (default: the package name) and pushes them there.
    pub fn promote(
        &mut self,
        caller_id: i64,
        params: PushParams,
        source: (&str, &str, &str),
        dest_prefix: Option<&str>,
    ) -> Result<String, PushError> {
        let workflow = self.check_push(&params)?;
        let (src_bucket, src_name, src_hash) = source;
        let user = self.pusher(caller_id)?;
        if !self.can_read(&user, src_bucket) || !self.can_write(&user, &params.bucket) {
            return Err(PushError::Failed(
                "Forbidden",
                format!(
                    "{} may not copy from s3://{src_bucket} to s3://{}",
                    user.name, params.bucket
                ),
            ));
        }
        let Some(revision) = self
            .package(src_bucket, src_name)
            .and_then(|p| p.revision(src_hash))
            .cloned()
        else {
            return Err(PushError::Invalid(
                "src.hash".into(),
                "RevisionNotFound",
                format!("{src_name}@{src_hash} does not exist in s3://{src_bucket}"),
            ));
        };
        let prefix = dest_prefix
            .map(|p| p.trim_matches('/').to_string())
            .unwrap_or_else(|| params.name.clone());
        let mut files = BTreeMap::new();
        for (logical, entry) in revision.entries {
            let bytes = match self.object(&entry.bucket, &entry.key, entry.version_id.as_deref()) {
                Some(o) => o.bytes.clone(),
                None => {
                    return Err(PushError::Failed(
                        "AWSError",
                        format!("{} is gone", entry.physical_key()),
                    ));
                }
            };
            let key = if prefix.is_empty() {
                logical.clone()
            } else {
                format!("{prefix}/{logical}")
            };
            let version = self.put_object(&params.bucket, &key, bytes, None, BTreeMap::new());
            files.insert(
                logical,
                Entry {
                    bucket: params.bucket.clone(),
                    key,
                    version_id: Some(version),
                    ..entry
                },
            );
        }
        let copied = Revision {
            hash: String::new(),
            modified: unix_now(),
            message: params.message,
            user_meta: params.user_meta,
            workflow,
            entries: files,
        };
        Ok(self.add_revision(&params.bucket, &params.name, copied))
    }

    /// `packageRevisionDelete`; the package goes when its last revision does.
    pub fn delete_revision(
        &mut self,
        caller_id: i64,
        bucket: &str,
        name: &str,
        hash: &str,
    ) -> Result<(), PushError> {
        let user = self.pusher(caller_id)?;
        if !self.can_write(&user, bucket) {
            return Err(PushError::Failed(
                "Forbidden",
                format!("{} may not write to s3://{bucket}", user.name),
            ));
        }
        let key = (bucket.to_string(), name.to_string());
        let Some(package) = self.packages.get_mut(&key) else {
            return Err(PushError::Failed(
                "PackageNotFound",
                format!("package {name} does not exist in s3://{bucket}"),
            ));
        };
        let before = package.revisions.len();
        package.revisions.retain(|r| r.hash != hash);
        if package.revisions.len() == before {
            return Err(PushError::Failed(
                "RevisionNotFound",
                format!("{name}@{hash} does not exist"),
            ));
        }
        package.tags.retain(|_, h| h != hash);
        if package.revisions.is_empty() {
            self.packages.remove(&key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_follow_quilts_rule() {
        assert!(valid_package_name("team/rnaseq-2024"));
        assert!(!valid_package_name("team"));
        assert!(!valid_package_name("a/b/c"));
        assert!(!valid_package_name("team/has space"));
    }

    #[test]
    fn folders_list_files_and_subfolders_with_sizes() {
        let model = Model::pristine().expect("dataset");
        for package in model.packages.values() {
            let latest = package.latest().expect("a revision");
            let root = folder(latest, "").expect("the root exists");
            assert_eq!(root.size, latest.total_bytes());
            for (dir, size) in &root.dirs {
                let sub = folder(latest, dir).expect("a listed folder exists");
                assert_eq!(sub.size, *size, "{}: {dir}", package.name);
            }
        }
    }

    #[test]
    fn revisions_resolve_by_tag_hash_and_prefix() {
        let model = Model::pristine().expect("dataset");
        let package = model
            .packages
            .values()
            .find(|p| p.revisions.len() >= 2)
            .expect("a package with history");
        let first = &package.revisions[0];
        assert_eq!(
            package.revision(&first.hash).map(|r| &r.hash),
            Some(&first.hash)
        );
        assert_eq!(
            package.revision(&first.hash[..10]).map(|r| &r.hash),
            Some(&first.hash)
        );
        assert_eq!(
            package.revision("latest").map(|r| &r.hash),
            package.revisions.last().map(|r| &r.hash)
        );
        assert!(package.revision("nope").is_none());
    }
}
