"""State only: the energy models follow the rename that accounts.0003 did in the database.

Every column, key and index that this renames in Django's state was renamed
by the RunSQL of accounts.0003, in the same transaction as the table.
"""

import django.db.models.deletion
from django.db import migrations, models

FK_COMMENTS = {
    "wallet": "Reference to user who owns this wallet",
    "smartmeter": "Reference to user who owns this meter",
    "transactionlog": "Reference to user associated with this transaction",
    "idrsconversion": "Reference to user who performed this conversion",
    "tokenblacklist": "Reference to user whose token is blacklisted",
}
RELATED_NAMES = {
    "wallet": "wallets",
    "smartmeter": "smart_meters",
    "transactionlog": "transaction_logs",
    "idrsconversion": "idrs_conversions",
    "tokenblacklist": "token_blacklist",
}


def user_foreign_key(column, comment, related_name, on_delete=django.db.models.deletion.PROTECT):
    return models.ForeignKey(
        db_column=column,
        db_comment=comment,
        db_index=False,
        on_delete=on_delete,
        related_name=related_name,
        to="accounts.user",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_rename_prosumer_to_user"),
        ("energy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="tokenblacklist", name="IDX_1a320f4470d1b5517ee5553b66"),
                *[
                    operation
                    for model_name, comment in FK_COMMENTS.items()
                    for operation in (
                        migrations.RenameField(model_name=model_name, old_name="prosumer", new_name="user"),
                        migrations.AlterField(
                            model_name=model_name,
                            name="user",
                            field=user_foreign_key(
                                "user_id",
                                comment,
                                RELATED_NAMES[model_name],
                                on_delete=(
                                    django.db.models.deletion.CASCADE
                                    if model_name == "tokenblacklist"
                                    else django.db.models.deletion.PROTECT
                                ),
                            ),
                        ),
                    )
                ],
                migrations.RenameField(
                    model_name="markettrade", old_name="buyer_prosumer", new_name="buyer_user"
                ),
                migrations.AlterField(
                    model_name="markettrade",
                    name="buyer_user",
                    field=user_foreign_key("buyer_user_id", "User ID of the buyer", "buy_trades"),
                ),
                migrations.RenameField(
                    model_name="markettrade", old_name="seller_prosumer", new_name="seller_user"
                ),
                migrations.AlterField(
                    model_name="markettrade",
                    name="seller_user",
                    field=user_foreign_key("seller_user_id", "User ID of the seller", "sell_trades"),
                ),
            ],
        ),
    ]
