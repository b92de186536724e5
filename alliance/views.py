from django.shortcuts import render

from .models import Agreement, Body, Meeting, Membership, Person


def home(request):
    """What the registry is and how much it holds; the public pages build on it."""
    counts = [
        (model._meta.verbose_name_plural, model.objects.published().count())
        for model in (Agreement, Body, Membership, Person, Meeting)
    ]
    return render(request, "alliance/home.html", {"counts": counts})
