import { runServiceMain } from '@chat4all/common';
import { gatewayService } from './server';

runServiceMain(gatewayService);
