//! Users and roles, and the rules of the admin mutations that change them.

use std::collections::BTreeMap;

use super::dataset::{RoleFile, UserFile};
use super::{Model, time};
use crate::time::unix_now;

/// What a role allows on one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A role: managed (Quilt writes its policy) or unmanaged (an IAM role Quilt only assumes).
#[derive(Clone, Debug)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub managed: bool,
    pub arn: String,
    pub buckets: BTreeMap<String, Access>,
}

impl Role {
    pub(super) fn from_file(file: RoleFile) -> Role {
        Role {
            id: file.id,
            name: file.name,
            managed: file.kind != "unmanaged",
            arn: file.arn,
            buckets: file
                .buckets
                .into_iter()
                .map(|(bucket, access)| {
                    let access = if access == "write" {
                        Access::Write
                    } else {
                        Access::Read
                    };
                    (bucket, access)
                })
                .collect(),
        }
    }
}

/// A catalog user.
#[derive(Clone, Debug)]
pub struct User {
    /// The `id` claim of the user's catalog tokens.
    pub id: i64,
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub active: bool,
    pub service: bool,
    pub sso_only: bool,
    /// The active role, which decides bucket access.
    pub role: Option<String>,
    pub extra_roles: Vec<String>,
    pub date_joined: i64,
    pub last_login: i64,
    pub role_assignment_disabled: bool,
    pub admin_assignment_disabled: bool,
    /// The access key of the temporary credentials the registry issues to this user.
    pub access_key: String,
    /// The user's Quilt API key.
    pub api_key: String,
}

impl User {
    pub(super) fn from_file(file: UserFile) -> Result<User, String> {
        Ok(User {
            id: file.id,
            date_joined: time(&file.date_joined)?,
            last_login: time(&file.last_login)?,
            name: file.name,
            email: file.email,
            admin: file.admin,
            active: file.active,
            service: file.service,
            sso_only: file.sso_only,
            role: file.role,
            extra_roles: file.extra_roles,
            role_assignment_disabled: file.role_assignment_disabled,
            admin_assignment_disabled: file.admin_assignment_disabled,
            access_key: file.access_key,
            api_key: file.api_key,
        })
    }

    /// Every role the user may switch to: the active one first, then the extra ones.
    pub fn all_roles(&self) -> Vec<&str> {
        let mut roles: Vec<&str> = self.role.iter().map(String::as_str).collect();
        for extra in &self.extra_roles {
            if !roles.contains(&extra.as_str()) {
                roles.push(extra);
            }
        }
        roles
    }
}

/// The input of `admin.user.create`.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: String,
    pub extra_roles: Vec<String>,
}

/// Why an admin mutation did not happen, in the registry's two error forms.
#[derive(Clone, Debug, PartialEq)]
pub enum AdminError {
    /// `InvalidInput` with one error: (path, name, message).
    Invalid(&'static str, &'static str, String),
    /// `OperationError`: (name, message).
    Failed(&'static str, String),
}

/// A plausible e-mail address, as the registry's form validation reads one.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    !local.is_empty() && !local.contains(char::is_whitespace) && labels_ok
}

fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 150
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.+-_".contains(c))
}

impl Model {
    fn user_mut(&mut self, name: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.name == name)
    }

    fn check_roles(&self, roles: &[String], path: &'static str) -> Result<(), AdminError> {
        match roles.iter().find(|r| self.role(r).is_none()) {
            Some(missing) => Err(AdminError::Invalid(
                path,
                "RoleDoesNotExist",
                format!("Role {missing} does not exist"),
            )),
            None => Ok(()),
        }
    }

    /// `admin.user.create`.
    pub fn create_user(&mut self, input: NewUser) -> Result<String, AdminError> {
        if !valid_user_name(&input.name) {
            return Err(AdminError::Invalid(
                "input.name",
                "InvalidUsername",
                "Enter a valid username: letters, digits and @/./+/-/_ only.".into(),
            ));
        }
        if self.user(&input.name).is_some() {
            return Err(AdminError::Invalid(
                "input.name",
                "Conflict",
                "User with this name already exists".into(),
            ));
        }
        if !valid_email(&input.email) {
            return Err(AdminError::Invalid(
                "input.email",
                "InvalidEmail",
                "Enter a valid email address.".into(),
            ));
        }
        if self.users.iter().any(|u| u.email == input.email) {
            return Err(AdminError::Invalid(
                "input.email",
                "Conflict",
                "User with this email already exists".into(),
            ));
        }
        self.check_roles(std::slice::from_ref(&input.role), "input.role")?;
        self.check_roles(&input.extra_roles, "input.extraRoles")?;
        let id = self.users.iter().map(|u| u.id).max().unwrap_or(0) + 1;
        let key = self.mint("access-key").to_uppercase();
        let api = self.mint("api-key");
        let now = unix_now();
        self.users.push(User {
            id,
            name: input.name.clone(),
            email: input.email,
            admin: false,
            active: true,
            service: false,
            sso_only: false,
            role: Some(input.role),
            extra_roles: input.extra_roles,
            date_joined: now,
            last_login: now,
            role_assignment_disabled: false,
            admin_assignment_disabled: false,
            access_key: format!("ASIA{}", &key[..16]),
            api_key: format!("qk_{api}"),
        });
        Ok(input.name)
    }

    /// `admin.user.mutate(name).delete`; `acting` is the admin's own name.
    pub fn delete_user(&mut self, name: &str, acting: &str) -> Result<(), AdminError> {
        if name == acting {
            return Err(AdminError::Failed(
                "DeleteSelf",
                "Cannot delete yourself".into(),
            ));
        }
        self.users.retain(|u| u.name != name);
        // Sessions die with their owner.
        let ids: Vec<i64> = self.users.iter().map(|u| u.id).collect();
        self.sessions.retain(|_, s| ids.contains(&s.owner));
        Ok(())
    }

    pub fn set_email(&mut self, name: &str, email: &str) -> Result<(), AdminError> {
        if !valid_email(email) {
            return Err(AdminError::Invalid(
                "email",
                "InvalidEmail",
                "Enter a valid email address.".into(),
            ));
        }
        if self
            .users
            .iter()
            .any(|u| u.email == email && u.name != name)
        {
            return Err(AdminError::Failed(
                "EmailAlreadyInUse",
                format!("{email} is already used by another user"),
            ));
        }
        if let Some(user) = self.user_mut(name) {
            user.email = email.to_string();
        }
        Ok(())
    }

    pub fn set_admin(&mut self, name: &str, admin: bool, acting: &str) -> Result<(), AdminError> {
        let Some(user) = self.user(name) else {
            return Ok(());
        };
        if user.admin_assignment_disabled {
            return Err(AdminError::Failed(
                "AdminAssignmentDisabled",
                "Admin assignment is disabled for this user".into(),
            ));
        }
        if !admin && name == acting {
            return Err(AdminError::Failed(
                "CannotDemoteSelf",
                "You cannot remove your own admin rights".into(),
            ));
        }
        if let Some(user) = self.user_mut(name) {
            user.admin = admin;
        }
        Ok(())
    }

    pub fn set_active(&mut self, name: &str, active: bool, acting: &str) -> Result<(), AdminError> {
        if !active && name == acting {
            return Err(AdminError::Failed(
                "CannotDeactivateSelf",
                "You cannot deactivate your own account".into(),
            ));
        }
        if let Some(user) = self.user_mut(name) {
            user.active = active;
        }
        Ok(())
    }

    pub fn reset_password(&self, name: &str) -> Result<(), AdminError> {
        match self.user(name) {
            Some(user) if user.service => Err(AdminError::Failed(
                "ServiceUser",
                "Service users have no password to reset".into(),
            )),
            Some(user) if user.sso_only => Err(AdminError::Failed(
                "SsoOnlyUser",
                "This user signs in with SSO only".into(),
            )),
            _ => Ok(()),
        }
    }

    fn assignable(&self, name: &str) -> Result<(), AdminError> {
        match self.user(name) {
            Some(user) if user.role_assignment_disabled => Err(AdminError::Failed(
                "RoleAssignmentDisabled",
                "Role assignment is disabled for this user".into(),
            )),
            _ => Ok(()),
        }
    }

    /// `setRole`: the active role and (replacing or appending) the extra ones.
    pub fn set_role(
        &mut self,
        name: &str,
        role: &str,
        extra: &[String],
        append: bool,
    ) -> Result<(), AdminError> {
        self.assignable(name)?;
        self.check_roles(&[role.to_string()], "role")?;
        self.check_roles(extra, "extraRoles")?;
        if let Some(user) = self.user_mut(name) {
            user.role = Some(role.to_string());
            if !append {
                user.extra_roles.clear();
            }
            for r in extra {
                if !user.extra_roles.contains(r) {
                    user.extra_roles.push(r.clone());
                }
            }
            user.extra_roles.retain(|r| r != role);
        }
        Ok(())
    }

    /// `addRoles`: more roles the user may switch to; a user without one takes the first.
    pub fn add_roles(&mut self, name: &str, roles: &[String]) -> Result<(), AdminError> {
        self.assignable(name)?;
        self.check_roles(roles, "roles")?;
        if let Some(user) = self.user_mut(name) {
            for r in roles {
                if user.role.is_none() {
                    user.role = Some(r.clone());
                } else if user.role.as_ref() != Some(r) && !user.extra_roles.contains(r) {
                    user.extra_roles.push(r.clone());
                }
            }
        }
        Ok(())
    }

    /// `removeRoles`: removing the active role needs a `fallback` among the ones left.
    pub fn remove_roles(
        &mut self,
        name: &str,
        roles: &[String],
        fallback: Option<&str>,
    ) -> Result<(), AdminError> {
        self.assignable(name)?;
        self.check_roles(roles, "roles")?;
        if let Some(f) = fallback {
            self.check_roles(&[f.to_string()], "fallback")?;
        }
        let Some(user) = self.user(name) else {
            return Ok(());
        };
        let loses_active = user.role.as_ref().is_some_and(|r| roles.contains(r));
        if loses_active && fallback.is_none() {
            return Err(AdminError::Invalid(
                "fallback",
                "FallbackRoleRequired",
                "Removing the active role needs a fallback role".into(),
            ));
        }
        if let Some(user) = self.user_mut(name) {
            user.extra_roles.retain(|r| !roles.contains(r));
            if loses_active {
                user.role = fallback.map(str::to_string);
            }
            let active = user.role.clone();
            user.extra_roles.retain(|r| Some(r) != active.as_ref());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_read_like_the_registry_form() {
        assert!(valid_email("bob@example.com"));
        assert!(!valid_email("bob@exa_mple.com"));
        assert!(!valid_email("bob"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("bob@localhost"));
    }
}
