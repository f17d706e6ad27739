from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render

from audits.selectors import clause_tree, standards_with_counts


@login_required
@permission_required("audits.view_standard", raise_exception=True)
def standard_list(request):
    return render(request, "audits/standard_list.html", {"standards": standards_with_counts()})


@login_required
@permission_required("audits.view_standard", raise_exception=True)
def standard_detail(request, pk):
    standard = get_object_or_404(standards_with_counts(), pk=pk)
    context = {
        "standard": standard,
        "tree": clause_tree(standard),
        "scheme": getattr(standard, "scheme", None)
        if request.user.has_perm("audits.view_certificationscheme")
        else None,
    }
    return render(request, "audits/standard_detail.html", context)
