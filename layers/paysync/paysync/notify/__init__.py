"""Sending what paysync has to say: the SES v2 mailer."""
