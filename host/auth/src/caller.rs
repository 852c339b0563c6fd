//! The caller of a request: a project and the roles held in it.

use qinling_core::ProjectId;

/// The role that may act on every project and manage runtimes (Qinling's `context_is_admin`).
const ADMIN_ROLE: &str = "admin";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub project: ProjectId,
    pub roles: Vec<String>,
}

impl Caller {
    /// Everyone, while authentication is off: Qinling's `default` project, with admin rights (as
    /// Qinling's context was without auth).
    pub fn unauthenticated() -> Self {
        Self { project: ProjectId::default(), roles: vec![ADMIN_ROLE.to_owned()] }
    }

    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|role| role.eq_ignore_ascii_case(ADMIN_ROLE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_is_a_role_and_everyone_is_admin_without_auth() {
        assert!(Caller::unauthenticated().is_admin());
        assert_eq!(Caller::unauthenticated().project, ProjectId::default());
        let member = Caller { project: ProjectId::new("p"), roles: vec!["member".into()] };
        assert!(!member.is_admin());
        let admin = Caller { roles: vec!["reader".into(), "Admin".into()], ..member };
        assert!(admin.is_admin());
    }
}
