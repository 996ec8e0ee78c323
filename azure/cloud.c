/* The national clouds: where ARM and Entra ID live, and what a token must
 * be for. A custom ARM endpoint changes where requests go, never the
 * audience (snapkeep(1), --arm-endpoint). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "azure/az_internal.h"

static const az_cloud clouds[] = {
    { "AzureCloud", "https://management.azure.com",
      "https://management.azure.com/", "https://login.microsoftonline.com" },
    { "AzureUSGovernment", "https://management.usgovcloudapi.net",
      "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us" },
    { "AzureChinaCloud", "https://management.chinacloudapi.cn",
      "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn" },
};

const az_cloud *az_cloud_find(const char *name)
{
    if (name == NULL || *name == '\0')
        return &clouds[0];
    for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++)
        if (strcasecmp(name, clouds[i].name) == 0)
            return &clouds[i];
    return NULL;
}

int az_scope_from_audience(char *buf, size_t n, const char *audience)
{
    size_t len = strlen(audience);
    while (len > 0 && audience[len - 1] == '/')
        len--;
    int w = snprintf(buf, n, "%.*s/.default", (int)len, audience);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}
