"""The web layer: one blueprint package per group of users, and what every page shares
(access rules, errors, request guards, forms, language). Views parse, call a service and
render or redirect."""
