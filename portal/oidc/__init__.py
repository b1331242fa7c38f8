"""Staff sign-in with their buyer's OpenID Connect provider (Microsoft Entra ID, ID-porten, …)."""
