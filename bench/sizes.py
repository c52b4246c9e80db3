"""What a bench run ran against: the items in each DynamoDB table and the users in the pool.

The stand-ins slow down as their tables grow (moto's index reads look at every item), so a
figure means little without these. Usage: sizes.py OUT.json (reads the env of .local/stack.env);
prints one line and writes the numbers as JSON.
"""

import json
import os
import sys

import boto3


def table_items(ddb, name):
    count = 0
    for page in ddb.get_paginator("scan").paginate(TableName=name, Select="COUNT"):
        count += page["Count"]
    return count


def pool_users(cognito, pool_id):
    count = 0
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        count += len(page["Users"])
    return count


def main():
    region = os.environ.get("AWS_REGION", "us-east-1")
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT"], region_name=region)
    cognito = boto3.client("cognito-idp", endpoint_url=os.environ["COGNITO_ENDPOINT"], region_name=region)
    sizes = {
        "tables": {
            name: table_items(ddb, name)
            for name in ddb.list_tables()["TableNames"]
        },
        "pool_users": pool_users(cognito, os.environ["COGNITO_USER_POOL_ID"]),
    }
    with open(sys.argv[1], "w") as f:
        json.dump(sizes, f, indent=2)
    tables = ", ".join(f"{k} {v}" for k, v in sizes["tables"].items())
    print(f"items per table: {tables}; users in the pool: {sizes['pool_users']}")


if __name__ == "__main__":
    main()
