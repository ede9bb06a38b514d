"""The shared kernel every app builds on: tenancy (organisations, members, the one way to scope
by tenant), notifications and the e-mail outbox, the scheduled-jobs log, API helpers, domain
errors, money, the calendar, tables and the CSV writer. It imports no app: apps contribute
their navigation entries, dashboard panels and demo data through the registries here. The
project shell (settings, URL root, Celery app, launcher, demo loader) is the ``config``
package."""
