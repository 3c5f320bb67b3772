"""Commands that compare the configuration with the portal and converge it: plan, apply,
drift, export, status."""
