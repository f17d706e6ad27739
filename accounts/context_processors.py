from accounts.roles import is_auditor, is_staff_member


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_staff_member": False, "is_auditor": False}
    return {"is_staff_member": is_staff_member(user), "is_auditor": is_auditor(user)}
