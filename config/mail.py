"""What every e-mail of the app shares: headers that strict mail tools accept, marked as sent by a machine."""

from email.header import Header

from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader


class AutomaticMessage(EmailMultiAlternatives):
    """A message as strict mail tools read it: the subject encoded to fold after its first words (not right after
    "Subject:", which a strict parser reads as a leading space), and marked as sent by a machine, so that
    out-of-office replies are not sent back (RFC 3834)."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        message.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject"))
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
        return message


class AutomaticPasswordResetForm(PasswordResetForm):
    """The password-reset request, whose e-mail is an AutomaticMessage."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        AutomaticMessage(subject, body, from_email, [to_email]).send()
