"""What every form page shares (a refused form answers 422, so that clients and logs see the refusal),
and the page for a request the app refuses as malformed (400)."""

from django.contrib.auth import views as auth_views
from django.core.exceptions import BadRequest
from django.shortcuts import render

INVALID_FORM_STATUS = 422  # Unprocessable Content: the page shows the form again with its errors


class InvalidFormStatusMixin:
    """A form view whose invalid submission is answered 422 instead of 200 (htmx is told to show it)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response


class LoginView(InvalidFormStatusMixin, auth_views.LoginView):
    pass


class PasswordChangeView(InvalidFormStatusMixin, auth_views.PasswordChangeView):
    pass


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    pass


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    pass


def bad_request(request, exception):
    """400: what was wrong, when the app itself refused the request (BadRequest); nothing more otherwise."""
    reason = str(exception) if type(exception) is BadRequest else ""
    return render(request, "400.html", {"reason": reason}, status=400)
