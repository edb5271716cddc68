"""What every form page shares (a refused form answers 422, so that clients and logs see the refusal),
and the page for a request the app refuses as malformed (400)."""

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest, RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from config.api import is_api_request
from config.directory import LoginForm, is_directory_user, password_in_directory
from config.mail import AutomaticPasswordResetForm
from config.security import client_ip, security_event
from config.throttle import allow

INVALID_FORM_STATUS = 422  # Unprocessable Content: the page shows the form again with its errors


class NearestPageMixin:
    """A list's page that does not exist shows the last one, a page "number" that is none the first (Django's
    Paginator.get_page), instead of a bare 404: a filter or a deletion may leave fewer pages than a link had."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class InvalidFormStatusMixin:
    """A form view whose invalid submission is answered 422 instead of 200 (htmx is told to show it)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response


class PostOnlyMixin:
    """An address that takes a form's post only. Opened as a page (a refused post without JavaScript leaves the
    browser on it; Enter in the address bar opens it), it answers 405, and its page (MethodNotAllowedPageMiddleware)
    links to the page that holds the form."""

    http_method_names = ["post", "options"]  # as Django's own logout
    form_page_name = ""  # the URL name of that page, taking this address's arguments

    def form_page(self) -> str:
        return reverse(self.form_page_name, kwargs=self.kwargs)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = super().http_method_not_allowed(request, *args, **kwargs)
        response.form_page = self.form_page()
        return response


class AtomicPostMixin:
    """Form posts run in one transaction: the version check locks the row until the save. A post that lost a race
    (another saved the same meeting number between this form's validation and its save, and the database refused
    the row) is answered as its form, validated again, now answers: the message a constraint gives, not an error
    page."""

    def post(self, request, *args, **kwargs):
        try:
            with transaction.atomic():
                return super().post(request, *args, **kwargs)
        except IntegrityError:
            form = self.get_form()
            if form.is_valid():  # not a rule a form checks
                raise
            return self.form_invalid(form)


class LoginView(InvalidFormStatusMixin, auth_views.LoginView):
    """The login page, for local and directory accounts; 503 when the directory could not be reached."""

    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "directory_unavailable"):
            response.status_code = 503
        return response


class PasswordChangeView(InvalidFormStatusMixin, auth_views.PasswordChangeView):
    """A directory user's password is the directory's: the page says where to change it, and changes nothing."""

    def dispatch(self, request, *args, **kwargs):
        if is_directory_user(request.user):
            return password_in_directory(request)
        return super().dispatch(request, *args, **kwargs)


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    """Sends the reset link (an automatic message, linking at SITE_URL), at most PASSWORD_RESET_LIMIT_PER_ADDRESS
    times an hour to one address and for PASSWORD_RESET_LIMIT_PER_CLIENT requests an hour from one client: the
    answer is the same either way, and the same whether or not the address belongs to anyone."""

    form_class = AutomaticPasswordResetForm

    def get_context_data(self, **kwargs):
        directory = {"directory_login": settings.DIRECTORY_LOGIN, "directory_help": settings.DIRECTORY_PASSWORD_HELP}
        return super().get_context_data(**kwargs) | directory

    @property
    def extra_email_context(self):
        return {"site_url": settings.SITE_URL}  # the link at the site's address, not at the request's Host

    def form_valid(self, form):
        client = client_ip(self.request)
        address = form.cleaned_data["email"].strip().lower()
        if not (
            allow("password-reset-client", client, settings.PASSWORD_RESET_LIMIT_PER_CLIENT)
            and allow("password-reset-address", address, settings.PASSWORD_RESET_LIMIT_PER_ADDRESS)
        ):
            security_event(self.request, "password reset throttled", logging.WARNING)
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    pass


def bad_request(request, exception):
    """400: what was wrong, when the app itself refused the request (BadRequest); nothing more otherwise. A field
    over the size limit is 413. The API answers in JSON."""
    if isinstance(exception, RequestDataTooBig):
        status, reason = 413, "A field of the request is larger than this app accepts."
    else:
        status, reason = 400, str(exception) if type(exception) is BadRequest else ""
    # A refusal tied to its user and address (Django's own log line of it names neither).
    security_event(request, "bad request", logging.WARNING, status=status, reason=type(exception).__name__)
    if is_api_request(request):
        return JsonResponse({"detail": reason or "Bad request."}, status=status)
    return render(request, "400.html", {"reason": reason}, status=status)
