"""The REST API's shared parts: pagination, parsing, model validation, schema hooks. It imports no app:
the apps' API modules build on it, and config/urls.py assembles the router."""

import codecs
import json
import re
from collections.abc import Mapping

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import parsers, serializers
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

from config.access import log_if_hidden

API_PREFIX = "/api/"
NON_FIELD_ERRORS = api_settings.NON_FIELD_ERRORS_KEY


@csrf_exempt  # it changes nothing: a write to no address is a 404, for a token client as for a session
@login_not_required
def api_not_found(request, rest: str = "") -> JsonResponse:
    """An address under /api/ that names nothing (`/api/v1/commitments/0.5/`, a path without its final slash):
    the API's own 404, in JSON, whoever asks, whatever the method."""
    detail = "Not found: no such address in the API (its addresses end with a slash)."
    return JsonResponse({"detail": detail}, status=404)


def is_api_request(request) -> bool:
    """A request of a script rather than a person: refusals answer in JSON, never with a page or a login form."""
    return request.path.startswith(API_PREFIX)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, reading UTF-8 whatever charset the Content-Type names (JSON is UTF-8: RFC 8259), and
    refusing with 400, in words, what it would read one way among several or not at all: a key given twice in one
    object (the last would be kept, silently), a number of more than 30 digits, JSON nested too deeply."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return json.load(
                codecs.getreader("utf-8")(stream),
                object_pairs_hook=one_value_per_key,
                parse_int=whole_number,
                parse_constant=strict_constant,
            )
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None


def one_value_per_key(pairs: list[tuple]) -> dict:
    read = dict(pairs)
    if len(read) < len(pairs):
        seen = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"{json.dumps(twice)} is given twice in one object.")
    return read


def whole_number(digits: str) -> int:
    if len(digits.lstrip("-")) > 30:
        raise ValueError("a number of more than 30 digits.")
    return int(digits)


OTHER_PARAMETERS = {"format"}  # what every list takes beside its filters
PAGING_PARAMETERS = {"page", "page_size"}  # what a list in pages takes too


def refuse_unknown_parameters(request, known=frozenset(), *, paged: bool = False) -> None:
    """A list refuses a query parameter that filters nothing (400): with a typo such as `?stauts=open`, it would
    otherwise answer every row as if it were filtered. A list that comes whole refuses `page` and `page_size`."""
    taken = set(known) | OTHER_PARAMETERS | (PAGING_PARAMETERS if paged else set())
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        raise serializers.ValidationError({name: ["Unknown query parameter."] for name in unknown})


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing a query parameter that filters nothing (refuse_unknown_parameters)."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):  # one object by its id: the list's filters are not built
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        known = filterset_class.base_filters if filterset_class else ()
        refuse_unknown_parameters(request, known, paged=getattr(view, "paginator", None) is not None)
        return super().filter_queryset(request, queryset, view)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """The asked page size, refused with 400 unless a whole number from 1 to max_page_size."""
        asked = one_value(request, self.page_size_query_param)
        if not asked:  # absent or empty, as for the page number
            return self.page_size
        if not asked.isdigit() or len(asked) > 3 or not 1 <= int(asked) <= self.max_page_size:
            raise serializers.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(asked)

    def get_page_number(self, request, paginator):
        """The asked page, refused with 400 unless a whole number from 1; one past the last is not found (404)."""
        asked = one_value(request, self.page_query_param)
        if not asked:
            return 1
        if not asked.isdigit() or len(asked) > 9 or int(asked) < 1:  # a billionth page: none, read or not
            raise serializers.ValidationError({self.page_query_param: ["A whole number from 1."]})
        if int(asked) > paginator.num_pages:
            raise NotFound(f"There is no page {int(asked)}: the last is page {paginator.num_pages}.")
        return int(asked)


def one_value(request, name: str) -> str | None:
    """A query parameter that takes one value, as sent; sent twice, refused (the last would be used silently)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise serializers.ValidationError({name: ["Choose one value only."]})
    return values[0] if values else None


class LogHiddenMixin:
    """A 404 for an object that exists but is out of the user's sight goes to the security log."""

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            lookup = self.lookup_url_kwarg or self.lookup_field
            log_if_hidden(self.request, self.get_queryset().model, pk=self.kwargs[lookup])
            raise


def many_to_many(model) -> set[str]:
    return {field.name for field in model._meta.many_to_many}


class ModelCleanMixin:
    """Runs the model's own clean() and constraints, so that the API refuses what the forms refuse (400)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance or self.Meta.model()
        for name, value in attrs.items():
            if name not in many_to_many(self.Meta.model):
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=self.clean_exclude())
        except DjangoValidationError as error:  # the model's own "__all__", as DRF names what is no one field's
            errors = {
                NON_FIELD_ERRORS if name == "__all__" else name: messages
                for name, messages in error.message_dict.items()
            }
            raise serializers.ValidationError(errors) from None
        return attrs

    def clean_exclude(self) -> list[str]:
        """Fields the serializer does not set are left to the model's defaults."""
        writable = {name for name, field in self.fields.items() if not field.read_only}
        return [f.name for f in self.Meta.model._meta.fields if f.name not in writable]


class RefuseUnknownFieldsMixin:
    """A field the serializer does not have is refused (400), not ignored: a client with a typo in a field
    name learns it at once instead of believing its change was made. So is a read-only field, unless it says
    what is there already (an object sent back as it was read, with one field changed), and a value of a type
    that DRF would take, and change: see wrong_type."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {name: ["Unknown field."] for name in data if name not in self.fields}
            current = self.to_representation(self.instance) if self.instance is not None else {}
            for name, value in data.items():
                field = self.fields.get(name)
                if field is None:
                    continue
                if field.read_only and current.get(name, object()) != value:
                    errors[name] = ["This field is read-only."]
                elif said := wrong_type(field, value, form=isinstance(data, QueryDict)):
                    errors[name] = [said]
            if errors:  # with what the fields say of the rest: every error of the body at once
                try:
                    super().to_internal_value({name: value for name, value in data.items() if name not in errors})
                except serializers.ValidationError as more:
                    errors = {**more.detail, **errors}
                raise serializers.ValidationError(dict(sorted(errors.items())))
        return super().to_internal_value(data)


def wrong_type(field, value, *, form: bool = False) -> str | None:
    """Why a value that DRF would take, and read as something else than was sent, is refused:
    - a number for a text (its digits would be saved: 1.10 as "1.1");
    - for an id, a whole number or a choice of numbers (a priority), anything but a JSON whole number (1.5 named 1,
      6.0 handed over C-6, 1e400 was a 500, "٢", "+2" and "0_2" named 2, "3" set priority 3); in a form-encoded
      body (`form`, whose values are all text: the upload's) anything but digits, or nothing for none;
    - for a yes or no, anything but true or false ("no" and 0 lifted a restriction);
    - for a list of ids, anything but a list (an object's keys were granted access);
    - for a date, anything but YYYY-MM-DD in digits ("2027-W01-1" was 4 January).
    None if the value is of its field's type: the field's own checks say the rest."""
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str | None) else field.error_messages["invalid"]
    if isinstance(field, serializers.ManyRelatedField | serializers.ListField):
        if not isinstance(value, list):
            return field.error_messages["not_a_list"].format(input_type=type(value).__name__)
        child = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field.child
        return next(filter(None, (wrong_type(child, one, form=form) for one in value)), None)
    if value is None or (form and value == ""):
        return None
    if isinstance(field, serializers.DateField):  # Python reads "2027-W01-1", "20270105" and "2027-1-5" as dates
        whole = isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) is not None
        return None if whole else field.error_messages["invalid"].format(format="YYYY-MM-DD")
    if isinstance(field, serializers.BooleanField) and not form:
        return None if isinstance(value, bool) else field.error_messages["invalid"]
    choices = field.choices if isinstance(field, serializers.ChoiceField) else {}
    numbered = bool(choices) and all(type(key) is int for key in choices)  # a priority's 1, 2, 3
    if numbered or isinstance(field, serializers.PrimaryKeyRelatedField | serializers.IntegerField):
        if form and isinstance(value, str):
            whole = re.fullmatch(r"[0-9]+", value) is not None
        else:
            whole = isinstance(value, int) and not isinstance(value, bool)
        if whole:
            return None
        if numbered:
            return field.error_messages["invalid_choice"].format(input=value)
        if isinstance(field, serializers.IntegerField):
            return field.error_messages["invalid"]
        return field.error_messages["incorrect_type"].format(data_type=type(value).__name__)
    return None


class TrackedModelSerializer(RefuseUnknownFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    # Saves with the acting user in the audit history (token requests carry no user for the middleware).
    # Not a docstring: the schema would publish it as the description of every serializer built on this one.

    def save(self, **kwargs):
        """Saved in one transaction. One that lost a race (another request saved the same unique value between this
        one's validation and its save, and the database refused the row) is refused as its validation, run again,
        now refuses it: a 400 with the constraint's message, not a 500."""
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError:
            self.run_validation(self.initial_data)
            raise

    def create(self, validated_data):
        related = self.pop_many_to_many(validated_data)
        instance = self.Meta.model(**validated_data)
        self.save_instance(instance)
        self.set_many_to_many(instance, related)
        return instance

    def update(self, instance, validated_data):
        related = self.pop_many_to_many(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        self.save_instance(instance)
        self.set_many_to_many(instance, related)
        return instance

    def pop_many_to_many(self, validated_data) -> dict:
        return {name: validated_data.pop(name) for name in many_to_many(self.Meta.model) if name in validated_data}

    @staticmethod
    def set_many_to_many(instance, related: dict) -> None:
        for name, values in related.items():
            getattr(instance, name).set(values)

    def save_instance(self, instance) -> None:
        instance._history_user = self.context["request"].user
        instance.save()


ERROR_SCHEMA = {
    "type": "object",
    "description": 'An error: {"detail": "…"}, or the errors by field: {"field": ["…"]}.',
    "additionalProperties": True,
}
ERROR_RESPONSES = {
    "400": "Invalid input, filter or query parameter: the errors by field.",
    "401": "No valid credentials (session or token).",
    "403": "Your role does not allow this, or a CSRF token is missing.",
    "404": "Not found, not in your working groups, or a page past the last.",
    "406": "The Accept header asks for something other than JSON.",
}
BODY_ERRORS = {
    "411": "A body sent in chunks: send it with a Content-Length.",
    "413": "The body is larger than the app accepts (2.5 MB).",
    "415": "The body is not JSON: send Content-Type: application/json.",
}


def success_responses(responses: dict) -> list[dict]:
    return [response for code, response in responses.items() if str(code).startswith("2")]


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the errors it can answer; those with a
    body, also 415 for a body that is not JSON."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = ERROR_RESPONSES | (BODY_ERRORS if "requestBody" in operation else {})
            answered = {kind for ok in success_responses(responses) for kind in ok.get("content", {})}
            if answered and "application/json" not in answered:
                errors = {code: text for code, text in errors.items() if code != "406"}  # a download: any Accept
            for code, description in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


def document_empty_parameters(result, generator, request, public):
    """drf-spectacular post-processing hook: a query parameter sent empty (`?status=`, as an HTML form sends an
    unused field) is as if it were not sent; the schema says so with allowEmptyValue."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result


def document_closed_objects(result, generator, request, public):
    """drf-spectacular post-processing hook: a request body with a field the API does not know is refused, so
    request objects say `additionalProperties: false`; every field of an answer is always there, so answer
    objects list them all as required."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if schema.get("type") != "object" or "properties" not in schema:
            continue
        if name.endswith("Request"):
            schema["additionalProperties"] = False
        else:
            schema["required"] = sorted(schema["properties"])
    return result


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """For an endpoint that answers bytes (a download) whatever the client accepts; its errors in JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
