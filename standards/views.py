"""The standards library's pages: every signed-in role that holds the view permission reads them."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render

from standards.selectors import clause_tree, standards_with_counts


@login_required
@permission_required("standards.view_standard", raise_exception=True)
def standard_list(request):
    return render(request, "standards/standard_list.html", {"standards": standards_with_counts()})


@login_required
@permission_required("standards.view_standard", raise_exception=True)
def standard_detail(request, pk):
    standard = get_object_or_404(standards_with_counts(), pk=pk)
    context = {
        "standard": standard,
        "tree": clause_tree(standard),
        "scheme": getattr(standard, "scheme", None)
        if request.user.has_perm("standards.view_certificationscheme")
        else None,
    }
    return render(request, "standards/standard_detail.html", context)
